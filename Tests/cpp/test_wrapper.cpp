// test_wrapper.cpp — every wrapper of bindings/cpp/featurescatter.hpp, success and error paths.
// Built with -Wall -Wextra -Werror -pedantic under AddressSanitizer and UBSan by Tests/python/test_cpp.py.

#include <featurescatter.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace fs = featurescatter;

static int passed = 0, failed = 0;

#define EXPECT(condition)                                                              \
    do {                                                                               \
        if (condition) {                                                               \
            ++passed;                                                                  \
        } else {                                                                       \
            ++failed;                                                                  \
            std::fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #condition); \
        }                                                                              \
    } while (0)

/// Runs `body`, expecting a featurescatter::error with `status` and a non-empty message.
template <class Body>
static void expect_error(fsc_status status, Body body, int line) {
    try {
        body();
        ++failed;
        std::fprintf(stderr, "line %d: expected %s, nothing thrown\n", line, fsc_status_string(status));
    } catch (const fs::error &e) {
        if (e.status() == status && std::string(e.what()).size() > std::string(fsc_status_string(status)).size() + 2) {
            ++passed;
        } else {
            ++failed;
            std::fprintf(stderr, "line %d: expected %s, got %s\n", line, fsc_status_string(status), e.what());
        }
    }
}
#define EXPECT_ERROR(status, ...) expect_error(status, [&] { __VA_ARGS__; }, __LINE__)

static std::vector<float> random_images(std::size_t count, unsigned seed) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::vector<float> values(count);
    for (auto &value : values) value = uniform(generator);
    return values;
}

static void library_functions() {
    const std::string expected = std::to_string(FSC_VERSION_MAJOR) + "." + std::to_string(FSC_VERSION_MINOR) + "." +
                                 std::to_string(FSC_VERSION_PATCH);
    EXPECT(fs::version() == expected);
    EXPECT(!fs::blas_core().empty());
    fs::set_threads(2);
    EXPECT(fs::threads() == 2);
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, fs::set_threads(0));
}

static void datasets(const std::vector<float> &images, const std::vector<std::int32_t> &labels) {
    fs::dataset data = fs::dataset::from_memory(images, {32, 1, 28, 28}, labels, 10);
    EXPECT(data.count() == 32);
    EXPECT((data.image_shape() == fs::image_shape{1, 28, 28}));
    EXPECT(data.classes() == 10);
    auto [copied, copied_labels] = data.copy(2, 3);
    EXPECT(copied.size() == 3 * 784 && copied[0] == images[2 * 784] && copied_labels[2] == labels[4]);
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, data.copy(30, 10));
    std::vector<std::int32_t> bad_labels = labels;
    bad_labels[5] = 10;
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, fs::dataset::from_memory(images, {32, 1, 28, 28}, bad_labels, 10));
    std::vector<float> not_finite = images;
    not_finite[7] = std::nanf("");
    EXPECT_ERROR(FSC_ERR_NOT_FINITE, fs::dataset::from_memory(not_finite, {32, 1, 28, 28}, labels, 10));
    EXPECT_ERROR(FSC_ERR_SHAPE, fs::dataset::from_memory(images, {31, 1, 28, 28}, labels, 10));
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, fs::dataset::load("no-such-set", fs::split::train));
    EXPECT_ERROR(FSC_ERR_IO, fs::dataset::load("npz", fs::split::train, 0, std::string("/nonexistent/data.npz")));
    fs::dataset moved = std::move(data);
    EXPECT(moved.count() == 32);
}

static void models(const std::vector<float> &images, const std::vector<std::int32_t> &labels, const std::string &folder) {
    fs::model net = fs::model::create("smallcnn", {1, 28, 28}, 10, 3);
    EXPECT(net.parameter_count() > 100000);
    EXPECT((net.input_shape() == fs::image_shape{1, 28, 28}) && net.classes() == 10);
    const fs::batch_shape shape{4, 1, 28, 28};
    const fs::view<const float> batch(images.data(), 4 * 784);
    const std::vector<float> logits = net.forward(batch, shape);
    EXPECT(logits.size() == 40 && std::isfinite(logits[0]));
    EXPECT(net.predict(batch, shape).size() == 4);
    EXPECT_ERROR(FSC_ERR_SHAPE, net.forward(batch, {5, 1, 28, 28}));
    EXPECT_ERROR(FSC_ERR_SHAPE, net.forward(batch, {4, 3, 28, 28}));
    EXPECT_ERROR(FSC_ERR_SHAPE, net.forward(fs::view<const float>(images.data(), 4 * 3 * 784), {4, 3, 28, 28}));
    const fs::dataset data = fs::dataset::from_memory(images, {32, 1, 28, 28}, labels, 10);
    const double accuracy = net.accuracy(data);
    EXPECT(accuracy >= 0 && accuracy <= 100);
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, fs::model::create("no-such-net", {1, 28, 28}, 10));

    // ONNX bytes, ONNX file and checkpoint round trips give the same logits.
    const std::vector<std::uint8_t> onnx = net.to_onnx_bytes();
    EXPECT(onnx.size() > 1000);
    fs::model imported = fs::model::from_onnx_bytes(onnx);
    const std::vector<float> again = imported.forward(batch, shape);
    float largest = 0;
    for (std::size_t i = 0; i < logits.size(); ++i) largest = std::fmax(largest, std::fabs(again[i] - logits[i]));
    EXPECT(largest < 1e-4f);
    net.save_onnx(folder + "/model.onnx", 13);
    EXPECT(fs::model::load_onnx(folder + "/model.onnx").classes() == 10);
    EXPECT((fs::model::load_onnx(folder + "/model.onnx", fs::image_shape{1, 28, 28}).input_shape()[2] == 28));
    net.save_checkpoint(folder + "/model.fsc");
    EXPECT(fs::model::load_checkpoint(folder + "/model.fsc").forward(batch, shape) == logits);
    const std::vector<std::uint8_t> garbage(64, 0xab);
    EXPECT_ERROR(FSC_ERR_ONNX, fs::model::from_onnx_bytes(garbage));
    EXPECT_ERROR(FSC_ERR_IO, fs::model::load_checkpoint(folder + "/missing.fsc"));
    EXPECT_ERROR(FSC_ERR_IO, fs::model::load_onnx(folder + "/missing.onnx"));
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, net.save_onnx(folder + "/bad.onnx", 99));
}

static void optimal_transport() {
    const std::vector<float> cost{0, 1, 1, 1, 0, 1, 1, 1, 0};
    fs::ot_solution solution = fs::ot_solve(cost, 3, 3);
    double row = 0;
    for (int j = 0; j < 3; ++j) row += solution.plan[j];
    EXPECT(std::fabs(row - 1.0 / 3) < 1e-5 && solution.report.iterations >= 1);
    EXPECT(solution.report.transport_cost < 0.01);
    fsc_ot_config bad = fs::ot_defaults();
    bad.regularization = -1;
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, fs::ot_solve(cost, 3, 3, bad));
    EXPECT_ERROR(FSC_ERR_SHAPE, fs::ot_solve(cost, 2, 3));
    const std::vector<float> x{1, 0, 0, 1, 1, 1}, y{0, 1, 1, 0, 1, 2};
    const fs::ot_distance_result distance = fs::ot_distance(x, 3, y, 3, 2);
    EXPECT(distance.distance >= 0 && distance.grad_x.size() == 6 && distance.grad_y.size() == 6);
    EXPECT_ERROR(FSC_ERR_SHAPE, fs::ot_distance(x, 3, y, 2, 2));
    std::vector<float> nan_x = x;
    nan_x[0] = std::nanf("");
    EXPECT_ERROR(FSC_ERR_NOT_FINITE, fs::ot_distance(nan_x, 3, y, 3, 2));
}

static void attacks_and_evaluation(const std::vector<float> &images, const std::vector<std::int32_t> &labels) {
    fs::model net = fs::model::create("mlp", {1, 28, 28}, 10, 4);
    fsc_attack_config config = fs::attack_defaults();
    EXPECT(config.kind == FSC_ATTACK_PGD && std::fabs(config.epsilon - 0.1f) < 1e-7f);
    config.steps = 3;
    const fs::view<const float> batch(images.data(), 8 * 784);
    const fs::view<const std::int32_t> batch_labels(labels.data(), 8);
    const std::vector<float> adversarial = fs::attack(net, config, batch, {8, 1, 28, 28}, batch_labels);
    float largest = 0;
    for (std::size_t i = 0; i < adversarial.size(); ++i) largest = std::fmax(largest, std::fabs(adversarial[i] - images[i]));
    EXPECT(adversarial.size() == 8 * 784 && largest <= 0.1f + 1e-6f && largest > 0);
    config.epsilon = 2;
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, fs::attack(net, config, batch, {8, 1, 28, 28}, batch_labels));

    const fs::dataset data = fs::dataset::from_memory(images, {32, 1, 28, 28}, labels, 10);
    fs::eval_config evaluation;
    EXPECT(evaluation.attacks == "fgsm,pgd20,cw20,apgd-ce" && evaluation.worst_case.empty());
    evaluation.attacks = "fgsm,pgd5";
    evaluation.c.limit = 16;
    evaluation.c.batch_size = 8;
    const fs::report report = fs::evaluate(net, data, evaluation);
    const double clean = report.accuracy("clean");
    EXPECT(clean >= 0 && clean <= 100 && report.accuracy("pgd5") <= clean);
    EXPECT(report.json().find("\"pgd5\"") != std::string::npos);
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, report.accuracy("no-such-attack"));
    evaluation.attacks = "pgd-nonsense";
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, fs::evaluate(net, data, evaluation));
}

static void training(const std::vector<float> &images, const std::vector<std::int32_t> &labels, const std::string &folder) {
    fs::model net = fs::model::create("mlp", {1, 28, 28}, 10, 5);
    fsc_trainer_config config = fs::trainer_defaults();
    EXPECT(config.method == FSC_METHOD_FEATURE_SCATTERING && config.epochs == 10 && config.batch_size == 128);
    config.epochs = 1;
    config.batch_size = 8;
    fs::trainer trainer(net, config);
    const float loss = trainer.step(fs::view<const float>(images.data(), 8 * 784), {8, 1, 28, 28},
                                    fs::view<const std::int32_t>(labels.data(), 8));
    EXPECT(std::isfinite(loss) && loss > 0);
    EXPECT_ERROR(FSC_ERR_SHAPE, trainer.step(fs::view<const float>(images.data(), 8 * 784), {8, 1, 28, 28},
                                             fs::view<const std::int32_t>(labels.data(), 7)));

    const fs::dataset data = fs::dataset::from_memory(images, {32, 1, 28, 28}, labels, 10);
    int calls = 0;
    const std::optional<double> accuracy = trainer.train(data, &data, folder + "/run", [&](const fsc_progress &p) {
        ++calls;
        return p.batches == 4;
    });
    EXPECT(calls == 4 && accuracy && *accuracy >= 0 && *accuracy <= 100);
    fs::trainer second(net, config);
    EXPECT(!second.train(data));
    fs::trainer cancelled(net, config);
    EXPECT_ERROR(FSC_ERR_CANCELLED, cancelled.train(data, nullptr, std::nullopt, [](const fsc_progress &) { return false; }));
    bool rethrown = false;
    try {
        fs::trainer failing(net, config);
        failing.train(data, nullptr, std::nullopt, [](const fsc_progress &) -> bool { throw std::runtime_error("host"); });
    } catch (const std::runtime_error &e) {
        rethrown = std::string(e.what()) == "host";
    }
    EXPECT(rethrown);
    config.batch_size = 0;
    EXPECT_ERROR(FSC_ERR_INVALID_ARGUMENT, fs::trainer(net, config));
}

int main(int argc, char **argv) {
    const std::string folder = argc > 1 ? argv[1] : ".";
    const std::vector<float> images = random_images(32 * 784, 1);
    std::vector<std::int32_t> labels(32);
    for (int i = 0; i < 32; ++i) labels[i] = i % 10;
    try {
        library_functions();
        datasets(images, labels);
        models(images, labels, folder);
        optimal_transport();
        attacks_and_evaluation(images, labels);
        training(images, labels, folder);
        EXPECT_ERROR(FSC_ERR_IO, fs::communicator::from_mpi(0));
    } catch (const std::exception &e) {
        ++failed;
        std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
