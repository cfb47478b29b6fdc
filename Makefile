# FeatureScatter — build, demo, tests and benchmarks.
#
#   make demo    install what is missing, build in release mode, train on Fashion-MNIST
#   make test    install test dependencies, build, run every suite (Swift and Python)
#   make bench   benchmark tables (bench/run)

SWIFT        ?= swift
PYTHON       ?= python3
VENV         := .venv
VENV_PYTHON  := $(VENV)/bin/python
RELEASE_BIN  := .build/release
DEB_PACKAGES := libopenblas-dev zlib1g-dev dataset-fashion-mnist libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
PY_PACKAGES  := numpy pot pytest onnx onnxruntime
DEMO_DIR     ?= runs/demo

.PHONY: demo test build build-tests deps venv swift-tests python-tests bench clean

## Installs the Debian packages the build and the demo need, when missing (as root, or via sudo).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

## The main job: standard training of SmallCNN on Fashion-MNIST, then the result.
demo: build
	$(RELEASE_BIN)/fscatter info
	$(RELEASE_BIN)/fscatter train --method standard --model smallcnn --dataset fashion-mnist \
		--epochs 2 --batch-size 128 --lr 0.05 --seed 0 --out $(DEMO_DIR)
	@$(PYTHON) -c "import json; s = json.load(open('$(DEMO_DIR)/summary.json')); \
	print(f\"\nSmallCNN on Fashion-MNIST, {s['method']} training, {s['epochs']} epochs: \" \
	      f\"test accuracy {s['test_accuracy']:.2f}% in {s['train_seconds']:.0f} s ({s['images_per_second']:.0f} images/s)\")"

## A virtualenv inside the repository with the test oracles.
venv: $(VENV)/.installed
$(VENV)/.installed:
	$(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install -q --upgrade pip
	$(VENV_PYTHON) -m pip install -q $(PY_PACKAGES)
	touch $@

build-tests: deps
	$(SWIFT) build -c release --build-tests -Xswiftc -enable-testing

swift-tests: build-tests
	$(SWIFT) test -c release -Xswiftc -enable-testing --skip-build --disable-swift-testing

python-tests: build venv
	FSCATTER=$(RELEASE_BIN)/fscatter $(VENV_PYTHON) -m pytest -q Tests/python

## Every suite: Swift unit tests (release build, numeric code) and the Python tests.
test: swift-tests python-tests

bench: build venv
	bench/run

clean:
	rm -rf .build $(VENV) runs
