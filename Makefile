# FeatureScatter — build, demo, tests and benchmarks.
#
#   make demo    install what is missing, build in release mode, train on Fashion-MNIST
#   make test    install test dependencies, build, run every suite (Swift and Python)
#   make bench   benchmark tables (bench/run); with PyTorch columns after `make torch-venv`
#   make bench-distributed   2 ranks vs 1 process, all-reduce cost, scaling model (docs/distributed.md)
#   make lib     libfeaturescatter.so (static Swift runtime, only fsc_* exported)
#   make wheel   dist/featurescatter-*.whl, the Python package with the library inside
#   make install PREFIX=/usr/local   header, library and featurescatter.pc

SWIFT        ?= swift
PYTHON       ?= python3
VENV         := .venv
VENV_PYTHON  := $(VENV)/bin/python
TORCH_VENV   := .venv-torch
RELEASE_BIN  := .build/release
DEB_PACKAGES := libopenblas-dev zlib1g-dev dataset-fashion-mnist libonnx-dev libprotobuf-dev protobuf-compiler \
                libonnx-testdata libopenmpi-dev openmpi-bin
TEST_PACKAGES := valgrind pkg-config binutils iproute2 g++ cargo
PY_PACKAGES  := numpy scipy pot pytest matplotlib onnx onnxruntime mpi4py
DEMO_DIR     ?= runs/demo
PREFIX       ?= /usr/local
LIB_BUILD    := .build-lib
LIBRARY      := $(LIB_BUILD)/release/libfeaturescatter.so
WHEEL_BUILD  := .build-wheel
MPI_LIBRARY  := $(LIB_BUILD)/release/libFeatureScatterMPI.so
# The engine's own loops (SIMD transforms, im2col, batch norm, exp) for the build machine's vector
# instructions: NATIVE=avx512 (AVX-512 F/CD/BW/DQ/VL, as skylake-avx512: Intel Skylake-SP on, AMD Zen 4
# on), NATIVE=avx2 (AVX2/FMA, as haswell; a SmallCNN feature-scattering step: 290 -> 346 images/s on
# one thread, measured) or NATIVE=0 (any x86-64, SSE2). The default is the best the build machine has;
# the binaries then need such a CPU. `fscatter bench` and `fscatter info` report the choice.
NATIVE       ?= $(shell f=/proc/cpuinfo; if grep -qw avx512f $$f && grep -qw avx512cd $$f && grep -qw avx512bw $$f \
                  && grep -qw avx512dq $$f && grep -qw avx512vl $$f; then echo avx512; \
                  elif grep -qw avx2 $$f && grep -qw fma $$f; then echo avx2; else echo 0; fi 2>/dev/null)
TARGET_CPU   := $(if $(filter avx512,$(NATIVE)),skylake-avx512,$(if $(filter avx2 1,$(NATIVE)),haswell))
CPU_FLAGS    := $(if $(TARGET_CPU),-Xswiftc -target-cpu -Xswiftc $(TARGET_CPU) -Xswiftc -DFEATURESCATTER_TARGET_$(subst -,_,$(TARGET_CPU)))
VERSION      := $(shell sed -n 's/^\#define FSC_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/featurescatter.h | paste -sd.)

.PHONY: demo test build build-tests deps venv swift-tests python-tests bench bench-distributed torch-venv clean lib install wheel fuzz fuzz-build fuzz-smoke sanitizer-libs

## Installs the Debian packages the build and the demo need, when missing (as root, or via sudo).
deps:
	@missing=""; for p in $(DEB_PACKAGES) $(if $(filter test% python-tests swift-tests,$(MAKECMDGOALS)),$(TEST_PACKAGES)); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release $(CPU_FLAGS)

## The main job: feature-scattering training of SmallCNN on Fashion-MNIST (eps = 0.1), then an
## honest robustness evaluation of the result (FGSM, PGD-20, CW-20, APGD-CE and their per-example
## worst case) on 1000 test images, as a table; the full AutoAttack-style suite is `fscatter eval --suite autoattack`.
demo: build
	$(RELEASE_BIN)/fscatter info
	$(RELEASE_BIN)/fscatter train --method feature-scattering --model smallcnn --dataset fashion-mnist --eps 0.1 \
		--epochs 2 --train-subset 30000 --batch-size 128 --lr 0.05 --seed 0 --out $(DEMO_DIR)
	$(RELEASE_BIN)/fscatter eval --checkpoint $(DEMO_DIR)/checkpoint.fsc --dataset fashion-mnist --eps 0.1 \
		--n 1000 --attacks fgsm,pgd20,cw20,apgd-ce --worst-case none --out $(DEMO_DIR)/report.json
	@$(PYTHON) -c "import json; s = json.load(open('$(DEMO_DIR)/summary.json')); \
	print(f\"\nSmallCNN, {s['method']} training, {s['epochs']} epochs on {s['train_images']} images: \" \
	      f\"{s['train_seconds']:.0f} s ({s['images_per_second']:.0f} images/s); report: $(DEMO_DIR)/report.json\")"

## A virtualenv inside the repository with the test oracles.
venv: $(VENV)/.installed
$(VENV)/.installed: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install -q --upgrade pip
	$(VENV_PYTHON) -m pip install -q $(PY_PACKAGES)
	touch $@

## PyTorch for the benchmark's peer columns only (several GB with its CUDA wheels; no test needs it).
torch-venv: $(TORCH_VENV)/.installed
$(TORCH_VENV)/.installed:
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/python -m pip install -q numpy torch
	touch $@

build-tests: deps
	$(SWIFT) build -c release --build-tests -Xswiftc -enable-testing $(CPU_FLAGS)

swift-tests: build-tests
	$(SWIFT) test -c release -Xswiftc -enable-testing $(CPU_FLAGS) --skip-build --disable-swift-testing

## The shared library for C and Python hosts, in its own build folder: the static Swift runtime
## and the export list must not leak into the ordinary build.
## libFeatureScatterMPI.so, the only library linked with libmpi, is loaded by libfeaturescatter.so
## only when a host asks for MPI; it is installed next to it.
lib: deps
	$(SWIFT) build -c release --scratch-path $(LIB_BUILD) --product featurescatter $(CPU_FLAGS) \
		-Xswiftc -static-stdlib -Xlinker --version-script=$(CURDIR)/bindings/c/featurescatter.map
	$(SWIFT) build -c release --scratch-path $(LIB_BUILD) --product FeatureScatterMPI

## libfeaturescatter.so under sanitizers, for the C suites (Tests/python/test_sanitizers.py): the Swift code
## with AddressSanitizer and the C++ ONNX shim with AddressSanitizer + UndefinedBehaviorSanitizer (Swift on
## Linux has no UBSan; its own arithmetic and bounds are checked), and the whole library with
## ThreadSanitizer (on the toolchain's shared Swift runtime and libdispatch, whose calls TSan then sees).
ASAN_BUILD   := .build-asan
TSAN_BUILD   := .build-tsan
sanitizer-libs: deps
	$(SWIFT) build -c release --scratch-path $(ASAN_BUILD) --product featurescatter $(CPU_FLAGS) \
		-Xswiftc -sanitize=address -Xcc -fsanitize=address,undefined -Xcc -fno-sanitize-recover=undefined \
		-Xswiftc -static-stdlib -Xswiftc -use-ld=lld -Xlinker --version-script=$(CURDIR)/bindings/c/featurescatter.map
	$(SWIFT) build -c release --scratch-path $(TSAN_BUILD) --product featurescatter $(CPU_FLAGS) \
		-Xswiftc -sanitize=thread -Xcc -fsanitize=thread -Xswiftc -use-ld=lld

install: lib
	install -d $(PREFIX)/include $(PREFIX)/lib/pkgconfig
	install -m 644 include/featurescatter.h bindings/cpp/featurescatter.hpp $(PREFIX)/include/
	install -m 755 $(LIBRARY) $(MPI_LIBRARY) $(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' bindings/c/featurescatter.pc.in \
		> $(PREFIX)/lib/pkgconfig/featurescatter.pc

## dist/featurescatter-*.whl: the Python package with libfeaturescatter.so (static Swift runtime) and the
## MPI shim inside, built from a copy of bindings/python so the source tree stays clean.
wheel: lib venv
	rm -rf $(WHEEL_BUILD) dist/featurescatter-*.whl
	mkdir -p $(WHEEL_BUILD) dist
	cp -r bindings/python/. $(WHEEL_BUILD)/
	cp $(LIBRARY) $(MPI_LIBRARY) $(WHEEL_BUILD)/featurescatter/
	$(VENV_PYTHON) -m pip wheel -q --no-deps -w dist $(WHEEL_BUILD)

## The test build (-enable-testing) also provides the fscatter the Python tests drive, so the suites
## need only one release build of the package besides the library's.
python-tests: build-tests lib sanitizer-libs venv wheel
	FSCATTER=$(RELEASE_BIN)/fscatter FEATURESCATTER_LIBRARY=$(CURDIR)/$(LIBRARY) PYTHONPATH=bindings/python \
		$(VENV_PYTHON) -m pytest -q -rs Tests/python

## Every suite: Swift unit tests (release build, numeric code) and the Python tests.
test: swift-tests python-tests fuzz-smoke

## Coverage-guided fuzzing of every reader (libFuzzer + AddressSanitizer), FUZZ_SECONDS per target, or
## FUZZ_EXECUTIONS inputs per target when given (the campaign of docs/reliability.md: 1000000);
## corpora stay in .build-fuzz/corpus, findings go to runs/fuzz/ and fail the run.
FUZZ_SECONDS ?= 60
FUZZ_EXECUTIONS ?=
FUZZ_BUILD   := .build-fuzz
fuzz-build: deps
	$(SWIFT) build -c release --product fscatter-fuzz --scratch-path $(FUZZ_BUILD) \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld

fuzz: fuzz-build build venv
	$(VENV_PYTHON) Tests/fuzz/run.py --binary $(FUZZ_BUILD)/release/fscatter-fuzz \
		$(if $(FUZZ_EXECUTIONS),--executions $(FUZZ_EXECUTIONS),--seconds $(FUZZ_SECONDS))

## What CI runs: every target for FUZZ_RUNS inputs from seed 1 and a fresh corpus (reproducible).
FUZZ_RUNS ?= 20000
fuzz-smoke: fuzz-build build venv
	$(VENV_PYTHON) Tests/fuzz/run.py --binary $(FUZZ_BUILD)/release/fscatter-fuzz --runs $(FUZZ_RUNS)

bench: build venv
	bench/run

## 1 process x 2 threads vs 2 ranks x 1 thread, the all-reduce cost, and the WRN-28-10 scaling model.
bench-distributed: build venv
	$(VENV_PYTHON) bench/distributed.py

clean:
	rm -rf .build $(LIB_BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) $(WHEEL_BUILD) dist $(VENV) runs
