// train_fashion.cpp — train SmallCNN on Fashion-MNIST with feature scattering from C++, attack it with
// PGD-20, evaluate it under FGSM and PGD-20, and export it as ONNX, through bindings/cpp/featurescatter.hpp.
//
// Build:  c++ -std=c++17 train_fashion.cpp $(pkg-config --cflags --libs featurescatter) -o train_fashion
// Run:    ./train_fashion [train_images] [epochs] [output_stem]   (defaults: 2000, 1, smallcnn)
#include <featurescatter.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace fs = featurescatter;

int main(int argc, char **argv) {
    const std::int64_t limit = argc > 1 ? std::atoll(argv[1]) : 2000;
    const int epochs = argc > 2 ? std::atoi(argv[2]) : 1;
    const std::string stem = argc > 3 ? argv[3] : "smallcnn";
    try {
        std::printf("FeatureScatter %s, OpenBLAS core %s\n", fs::version().c_str(), fs::blas_core().c_str());
        const fs::dataset train = fs::dataset::load("fashion-mnist", fs::split::train, limit);
        const fs::dataset test = fs::dataset::load("fashion-mnist", fs::split::test, limit < 1000 ? limit : 1000);
        fs::model net = fs::model::create("smallcnn", {1, 28, 28}, 10);

        fsc_trainer_config config = fs::trainer_defaults();  // feature scattering, eps 0.1
        config.epochs = epochs;
        fs::trainer trainer(net, config);
        const auto accuracy = trainer.train(train, &test, std::nullopt, [](const fsc_progress &p) {
            if (p.batch == p.batches) {
                std::printf("epoch %d/%d: loss %.4f, train accuracy %.1f%%, %.0f images/s\n", p.epoch, p.epochs, p.loss,
                            p.accuracy, p.images_per_second);
            }
            return true;  // false would cancel
        });
        std::printf("clean test accuracy %.2f%%\n", *accuracy);

        // One batch attacked by hand: PGD-20 stays inside the eps-ball.
        auto [images, labels] = test.copy(0, 100);
        const std::vector<float> adversarial = fs::attack(net, fs::attack_defaults(), images, {100, 1, 28, 28}, labels);
        float largest = 0;
        for (std::size_t i = 0; i < images.size(); ++i) largest = std::fmax(largest, std::fabs(adversarial[i] - images[i]));
        const std::vector<std::int32_t> predicted = net.predict(adversarial, {100, 1, 28, 28});
        int correct = 0;
        for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
        std::printf("PGD-20 on 100 images: %d%% correct, largest change %.3f\n", correct, largest);

        fs::eval_config evaluation;
        evaluation.attacks = "fgsm,pgd20";
        evaluation.c.limit = 500;
        const fs::report report = fs::evaluate(net, test, evaluation);
        std::printf("evaluation on 500 images: clean %.1f%%, FGSM %.1f%%, PGD-20 %.1f%%\n", report.accuracy("clean"),
                    report.accuracy("fgsm"), report.accuracy("pgd20"));

        net.save_checkpoint(stem + ".fsc");
        net.save_onnx(stem + ".onnx");
        std::printf("wrote %s.fsc and %s.onnx\n", stem.c_str(), stem.c_str());
    } catch (const fs::error &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
