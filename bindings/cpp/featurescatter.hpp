// featurescatter.hpp — a header-only C++17 wrapper of the FeatureScatter C ABI.
//
// RAII handles (move-only, destructors call fsc_*_free), statuses turned into
// featurescatter::error, buffers as views (pointer + size), the C config structs filled with
// their defaults, and the progress callback as a std::function. No engine logic lives here:
// every call is one fsc_* function of include/featurescatter.h.
//
//   featurescatter::dataset train = featurescatter::dataset::load("fashion-mnist", featurescatter::split::train, 1024);
//   featurescatter::model net = featurescatter::model::create("smallcnn", {1, 28, 28}, 10);
//   featurescatter::trainer(net, featurescatter::trainer_defaults()).train(train);
//
// Threads: as the C ABI, one handle is used by one thread at a time.
#ifndef FEATURESCATTER_HPP
#define FEATURESCATTER_HPP

#include <featurescatter.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace featurescatter {

/// A failed call: the fsc_status and the library's message (fsc_last_error).
class error : public std::runtime_error {
public:
    error(fsc_status status, const std::string &message)
        : std::runtime_error(std::string(fsc_status_string(status)) + ": " + message), status_(status) {}
    fsc_status status() const noexcept { return status_; }

private:
    fsc_status status_;
};

/// Throws featurescatter::error unless `status` is FSC_OK.
inline void check(fsc_status status) {
    if (status != FSC_OK) throw error(status, fsc_last_error());
}

/// A contiguous buffer the caller owns: a pointer and an element count.
template <class T>
class view {
public:
    view(T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <class U>
    view(std::vector<U> &values) noexcept : data_(values.data()), size_(values.size()) {}
    template <class U>
    view(const std::vector<U> &values) noexcept : data_(values.data()), size_(values.size()) {}
    T *data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    T *data_;
    std::size_t size_;
};

/// N, C, H, W of a batch of images.
using batch_shape = std::array<std::int64_t, 4>;
/// C, H, W of one image.
using image_shape = std::array<std::int64_t, 3>;

namespace detail {
/// A move-only owner of one C handle, freed by `Free`.
template <class T, void (*Free)(T *)>
class handle {
public:
    handle() noexcept = default;
    explicit handle(T *raw) noexcept : raw_(raw) {}
    handle(const handle &) = delete;
    handle &operator=(const handle &) = delete;
    handle(handle &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    handle &operator=(handle &&other) noexcept {
        if (this != &other) {
            Free(raw_);
            raw_ = std::exchange(other.raw_, nullptr);
        }
        return *this;
    }
    ~handle() { Free(raw_); }
    T *get() const noexcept { return raw_; }

private:
    T *raw_ = nullptr;
};

/// The C ABI takes images by shape alone: a view must hold exactly the shape's elements.
inline const float *images(view<const float> values, const batch_shape &shape) {
    std::int64_t count = 1;
    for (std::int64_t extent : shape) count = extent > 0 ? count * extent : 0;
    if (values.size() != static_cast<std::size_t>(count)) {
        throw error(FSC_ERR_SHAPE, std::to_string(values.size()) + " image values for a batch of shape " +
                                       std::to_string(shape[0]) + "x" + std::to_string(shape[1]) + "x" +
                                       std::to_string(shape[2]) + "x" + std::to_string(shape[3]));
    }
    return values.data();
}
}  // namespace detail

/// The library's version, "major.minor.patch".
inline std::string version() { return fsc_version(); }
/// The OpenBLAS kernel set in use.
inline std::string blas_core() { return fsc_blas_core(); }
/// Worker threads the engine uses.
inline int threads() {
    std::int32_t count = 0;
    check(fsc_get_threads(&count));
    return count;
}
/// Sets the worker threads (1..1024) for every handle.
inline void set_threads(int count) { check(fsc_set_threads(count)); }

/// The processes of one run, from the host's MPI communicator (collective on every rank).
class communicator {
public:
    /// Wraps `MPI_Comm_c2f(comm)` (mpi4py: `comm.py2f()`).
    static communicator from_mpi(std::int64_t fortran_handle) {
        fsc_communicator *raw = nullptr;
        check(fsc_communicator_from_mpi(fortran_handle, &raw));
        return communicator(raw);
    }
    int rank() const { return info().first; }
    int size() const { return info().second; }
    const fsc_communicator *get() const noexcept { return handle_.get(); }

private:
    explicit communicator(fsc_communicator *raw) noexcept : handle_(raw) {}
    std::pair<int, int> info() const {
        std::int32_t rank = 0, size = 0;
        check(fsc_communicator_info(handle_.get(), &rank, &size));
        return {rank, size};
    }
    detail::handle<fsc_communicator, fsc_communicator_free> handle_;
};

enum class split { train = FSC_SPLIT_TRAIN, test = FSC_SPLIT_TEST };

/// A labelled image set held in memory.
class dataset {
public:
    /// "fashion-mnist" (no path: the Debian package's folder), "mnist", "cifar10", "cifar100", "svhn",
    /// "svhn-extra" (SVHN's train split with extra_32x32.mat) or "npz";
    /// `limit` keeps the first examples (0 = all).
    static dataset load(const std::string &name, split part, std::int64_t limit = 0,
                        const std::optional<std::string> &path = std::nullopt) {
        fsc_dataset *raw = nullptr;
        check(fsc_dataset_load(name.c_str(), path ? path->c_str() : nullptr, static_cast<fsc_split>(part), limit, &raw));
        return dataset(raw);
    }
    /// Copies NCHW images in [0, 1] and their labels in [0, classes).
    static dataset from_memory(view<const float> images, const batch_shape &shape, view<const std::int32_t> labels,
                               int classes) {
        fsc_dataset *raw = nullptr;
        check(fsc_dataset_from_memory(detail::images(images, shape), shape.data(), shape.size(), labels.data(), labels.size(), classes,
                                      &raw));
        return dataset(raw);
    }
    std::int64_t count() const {
        std::int64_t n = 0;
        check(fsc_dataset_info(handle_.get(), &n, nullptr, nullptr));
        return n;
    }
    featurescatter::image_shape image_shape() const {
        featurescatter::image_shape shape{};
        check(fsc_dataset_info(handle_.get(), nullptr, shape.data(), nullptr));
        return shape;
    }
    int classes() const {
        std::int32_t k = 0;
        check(fsc_dataset_info(handle_.get(), nullptr, nullptr, &k));
        return k;
    }
    /// Examples [first, first + n): images (n·C·H·W) and labels (n).
    std::pair<std::vector<float>, std::vector<std::int32_t>> copy(std::int64_t first, std::int64_t n) const {
        const auto shape = image_shape();
        const std::int64_t rows = n > 0 ? n : 0;
        std::vector<float> images(static_cast<std::size_t>(rows * shape[0] * shape[1] * shape[2]));
        std::vector<std::int32_t> labels(static_cast<std::size_t>(rows));
        check(fsc_dataset_copy(handle_.get(), first, n, images.data(), images.size(), labels.data(), labels.size()));
        return {std::move(images), std::move(labels)};
    }
    const fsc_dataset *get() const noexcept { return handle_.get(); }

private:
    explicit dataset(fsc_dataset *raw) noexcept : handle_(raw) {}
    detail::handle<fsc_dataset, fsc_dataset_free> handle_;
};

/// A classifier: logits from NCHW images in [0, 1].
class model {
public:
    /// "smallcnn", "mlp", "preactresnet18" or "wrn-D-W".
    static model create(const std::string &architecture, const image_shape &input, int classes,
                        std::uint64_t seed = 0) {
        fsc_model *raw = nullptr;
        check(fsc_model_create(architecture.c_str(), input.data(), classes, seed, &raw));
        return model(raw);
    }
    static model load_checkpoint(const std::string &path) {
        fsc_model *raw = nullptr;
        check(fsc_model_load_checkpoint(path.c_str(), &raw));
        return model(raw);
    }
    /// An ONNX classifier; `input` overrides the graph's C, H, W.
    static model load_onnx(const std::string &path, const std::optional<image_shape> &input = std::nullopt) {
        fsc_model *raw = nullptr;
        check(fsc_model_load_onnx(path.c_str(), input ? input->data() : nullptr, &raw));
        return model(raw);
    }
    static model from_onnx_bytes(view<const std::uint8_t> bytes, const std::optional<image_shape> &input = std::nullopt) {
        fsc_model *raw = nullptr;
        check(fsc_model_from_onnx_bytes(bytes.data(), bytes.size(), input ? input->data() : nullptr, &raw));
        return model(raw);
    }
    /// Exports ONNX (opset 13..17; 0 = 17).
    void save_onnx(const std::string &path, int opset = 0) const {
        check(fsc_model_save_onnx(handle_.get(), path.c_str(), opset));
    }
    std::vector<std::uint8_t> to_onnx_bytes(int opset = 0) const {
        std::size_t size = 0;
        const fsc_status probe = fsc_model_to_onnx_bytes(handle_.get(), opset, nullptr, 0, &size);
        if (probe != FSC_ERR_SHAPE) check(probe);
        std::vector<std::uint8_t> bytes(size);
        check(fsc_model_to_onnx_bytes(handle_.get(), opset, bytes.data(), bytes.size(), &size));
        return bytes;
    }
    void save_checkpoint(const std::string &path) const { check(fsc_model_save_checkpoint(handle_.get(), path.c_str())); }
    std::int64_t parameter_count() const {
        std::int64_t count = 0;
        check(fsc_model_parameter_count(handle_.get(), &count));
        return count;
    }
    featurescatter::image_shape input_shape() const {
        featurescatter::image_shape shape{};
        check(fsc_model_info(handle_.get(), shape.data(), nullptr));
        return shape;
    }
    int classes() const {
        std::int32_t k = 0;
        check(fsc_model_info(handle_.get(), nullptr, &k));
        return k;
    }
    /// Logits (n·classes) in inference mode.
    std::vector<float> forward(view<const float> images, const batch_shape &shape) {
        std::vector<float> logits(rows(shape) * static_cast<std::size_t>(classes()));
        check(fsc_model_forward(handle_.get(), detail::images(images, shape), shape.data(), shape.size(), logits.data(), logits.size()));
        return logits;
    }
    /// The arg-max class of each image.
    std::vector<std::int32_t> predict(view<const float> images, const batch_shape &shape) {
        std::vector<std::int32_t> labels(rows(shape));
        check(fsc_model_predict(handle_.get(), detail::images(images, shape), shape.data(), shape.size(), labels.data(), labels.size()));
        return labels;
    }
    /// Clean accuracy in percent.
    double accuracy(const dataset &data) {
        double percent = 0;
        check(fsc_model_accuracy(handle_.get(), data.get(), &percent));
        return percent;
    }
    fsc_model *get() const noexcept { return handle_.get(); }

private:
    explicit model(fsc_model *raw) noexcept : handle_(raw) {}
    static std::size_t rows(const batch_shape &shape) { return shape[0] > 0 ? static_cast<std::size_t>(shape[0]) : 0; }
    detail::handle<fsc_model, fsc_model_free> handle_;
};

// ---------------------------------------------------------------- optimal transport

/// fsc_ot_config with its defaults (Sinkhorn, reg 0.01, 100 iterations).
inline fsc_ot_config ot_defaults() {
    fsc_ot_config config{};
    config.struct_size = sizeof config;
    check(fsc_ot_config_default(&config));
    return config;
}

struct ot_solution {
    std::vector<float> plan;
    fsc_ot_report report;
};

/// Solves OT for an n×m cost; empty marginals mean uniform.
inline ot_solution ot_solve(view<const float> cost, std::int64_t n, std::int64_t m, const fsc_ot_config &config = ot_defaults(),
                            view<const float> a = {nullptr, 0}, view<const float> b = {nullptr, 0}) {
    if (cost.size() != static_cast<std::size_t>(n > 0 && m > 0 ? n * m : 0)) {
        throw error(FSC_ERR_SHAPE, "the cost has " + std::to_string(cost.size()) + " values for " + std::to_string(n) +
                                       "x" + std::to_string(m));
    }
    ot_solution solution{std::vector<float>(cost.size()), {}};
    solution.report.struct_size = sizeof solution.report;
    check(fsc_ot_solve(cost.data(), n, m, a.data(), b.data(), &config, solution.plan.data(), &solution.report));
    return solution;
}

struct ot_distance_result {
    double distance;
    std::vector<float> grad_x, grad_y;
    fsc_ot_report report;
};

/// D = <T, C(X, Y)> between X (n×d) and Y (m×d) and its gradients.
inline ot_distance_result ot_distance(view<const float> x, std::int64_t n, view<const float> y, std::int64_t m, std::int64_t d,
                                      fsc_cost cost = FSC_COST_COSINE, fsc_grad_mode mode = FSC_GRAD_UNROLLED,
                                      const fsc_ot_config &config = ot_defaults()) {
    if (x.size() != static_cast<std::size_t>(n > 0 && d > 0 ? n * d : 0) ||
        y.size() != static_cast<std::size_t>(m > 0 && d > 0 ? m * d : 0)) {
        throw error(FSC_ERR_SHAPE, "features of " + std::to_string(x.size()) + " and " + std::to_string(y.size()) +
                                       " values for n=" + std::to_string(n) + ", m=" + std::to_string(m) +
                                       ", d=" + std::to_string(d));
    }
    ot_distance_result result{0, std::vector<float>(x.size()), std::vector<float>(y.size()), {}};
    result.report.struct_size = sizeof result.report;
    check(fsc_ot_distance(x.data(), n, y.data(), m, d, cost, &config, mode, &result.distance, result.grad_x.data(),
                          result.grad_y.data(), &result.report));
    return result;
}

// ---------------------------------------------------------------- attacks and evaluation

/// fsc_attack_config with its defaults (PGD-20, L∞, ε = 0.1).
inline fsc_attack_config attack_defaults() {
    fsc_attack_config config{};
    config.struct_size = sizeof config;
    check(fsc_attack_config_default(&config));
    return config;
}

/// Adversarial images (n·C·H·W) for a batch, with the model in inference mode.
inline std::vector<float> attack(model &net, const fsc_attack_config &config, view<const float> images,
                                 const batch_shape &shape, view<const std::int32_t> labels) {
    std::vector<float> adversarial(images.size());
    check(fsc_attack_run(net.get(), &config, detail::images(images, shape), shape.data(), shape.size(), labels.data(), labels.size(),
                         adversarial.data(), adversarial.size()));
    return adversarial;
}

/// fsc_eval_config's settings with owned attack lists.
struct eval_config {
    fsc_eval_config c;
    std::string attacks;
    std::string worst_case;

    eval_config() : c{} {
        c.struct_size = sizeof c;
        check(fsc_eval_config_default(&c));
        attacks = c.attacks ? c.attacks : "";
        worst_case = c.worst_case ? c.worst_case : "";
    }
};

/// What fsc_evaluate returns: accuracies and the JSON report.
class report {
public:
    /// "clean", "worst_case" or an attack name as given.
    double accuracy(const std::string &name) const {
        double percent = 0;
        check(fsc_report_accuracy(handle_.get(), name.c_str(), &percent));
        return percent;
    }
    std::string json() const {
        std::size_t length = 0;
        const fsc_status probe = fsc_report_json(handle_.get(), nullptr, 0, &length);
        if (probe != FSC_ERR_SHAPE) check(probe);
        std::vector<char> text(length + 1);
        check(fsc_report_json(handle_.get(), text.data(), text.size(), &length));
        return std::string(text.data(), length);
    }

private:
    friend report evaluate(model &, const dataset &, const eval_config &, const communicator *);
    explicit report(fsc_report *raw) noexcept : handle_(raw) {}
    detail::handle<fsc_report, fsc_report_free> handle_;
};

/// Clean accuracy, each attack and the per-example worst case on a data set.
inline report evaluate(model &net, const dataset &data, const eval_config &config = eval_config(),
                       const communicator *ranks = nullptr) {
    fsc_eval_config c = config.c;
    c.attacks = config.attacks.c_str();
    c.worst_case = config.worst_case.empty() ? nullptr : config.worst_case.c_str();
    c.communicator = ranks ? ranks->get() : nullptr;
    fsc_report *raw = nullptr;
    check(fsc_evaluate(net.get(), data.get(), &c, &raw));
    return report(raw);
}

// ---------------------------------------------------------------- training

/// fsc_trainer_config with its defaults (feature scattering, 10 epochs, batch 128).
inline fsc_trainer_config trainer_defaults() {
    fsc_trainer_config config{};
    config.struct_size = sizeof config;
    check(fsc_trainer_config_default(&config));
    return config;
}

/// Called after every batch; return false to cancel (train then throws FSC_ERR_CANCELLED).
using progress_callback = std::function<bool(const fsc_progress &)>;

/// A training run of one model; the model must outlive it.
class trainer {
public:
    trainer(model &net, const fsc_trainer_config &config) {
        fsc_trainer *raw = nullptr;
        check(fsc_trainer_create(net.get(), &config, &raw));
        handle_ = detail::handle<fsc_trainer, fsc_trainer_free>(raw);
    }
    /// One optimisation step on a caller batch; the batch's mean loss.
    float step(view<const float> images, const batch_shape &shape, view<const std::int32_t> labels) {
        float loss = 0;
        check(fsc_trainer_step(handle_.get(), detail::images(images, shape), shape.data(), shape.size(), labels.data(), labels.size(),
                               &loss));
        return loss;
    }
    /// The configured epochs on `train`; with `test`, the clean test accuracy after the last one.
    /// An exception thrown by `progress` cancels the run and is rethrown here.
    std::optional<double> train(const dataset &train, const dataset *test = nullptr,
                                const std::optional<std::string> &out_dir = std::nullopt,
                                progress_callback progress = nullptr) {
        callback_state state{std::move(progress), nullptr};
        double accuracy = 0;
        const fsc_status status = fsc_trainer_train(handle_.get(), train.get(), test ? test->get() : nullptr,
                                                    out_dir ? out_dir->c_str() : nullptr,
                                                    state.callback ? &callback_state::call : nullptr, &state, &accuracy);
        if (state.failure) std::rethrow_exception(state.failure);
        check(status);
        return test ? std::optional<double>(accuracy) : std::nullopt;
    }

private:
    struct callback_state {
        progress_callback callback;
        std::exception_ptr failure;
        static int call(const fsc_progress *progress, void *user) noexcept {
            auto *state = static_cast<callback_state *>(user);
            try {
                return state->callback(*progress) ? 0 : 1;
            } catch (...) {
                state->failure = std::current_exception();
                return 1;
            }
        }
    };
    detail::handle<fsc_trainer, fsc_trainer_free> handle_;
};

}  // namespace featurescatter

#endif  // FEATURESCATTER_HPP
