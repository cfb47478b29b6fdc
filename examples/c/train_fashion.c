/* train_fashion.c — train SmallCNN on Fashion-MNIST with feature scattering from C, measure its
   accuracy under PGD-20, and export it as ONNX.

   Build:  cc train_fashion.c $(pkg-config --cflags --libs featurescatter) -o train_fashion
   Run:    ./train_fashion [train_images] [epochs] [output_stem] [architecture]
           (defaults: 2000, 1, smallcnn, smallcnn: writes smallcnn.fsc and smallcnn.onnx) */
#include <featurescatter.h>

#include <stdio.h>
#include <stdlib.h>

static int show(const fsc_progress *p, void *user) {
    (void)user;
    if (p->batch == p->batches)
        printf("epoch %d/%d: loss %.4f, train accuracy %.1f%%, %.0f images/s\n", p->epoch, p->epochs, p->loss,
               p->accuracy, p->images_per_second);
    return 0; /* non-zero would cancel */
}

static int fail(const char *what) {
    fprintf(stderr, "%s failed: %s\n", what, fsc_last_error());
    return 1;
}

int main(int argc, char **argv) {
    int64_t limit = argc > 1 ? atoll(argv[1]) : 2000;
    int32_t epochs = argc > 2 ? atoi(argv[2]) : 1;
    const char *stem = argc > 3 ? argv[3] : "smallcnn";
    const char *architecture = argc > 4 ? argv[4] : "smallcnn";
    printf("FeatureScatter %s, OpenBLAS core %s\n", fsc_version(), fsc_blas_core());

    fsc_dataset *train = NULL, *test = NULL;
    if (fsc_dataset_load("fashion-mnist", NULL, FSC_SPLIT_TRAIN, limit, &train) != FSC_OK) return fail("loading");
    if (fsc_dataset_load("fashion-mnist", NULL, FSC_SPLIT_TEST, limit < 1000 ? limit : 1000, &test) != FSC_OK)
        return fail("loading");

    const int64_t input_shape[3] = {1, 28, 28};
    fsc_model *model = NULL;
    if (fsc_model_create(architecture, input_shape, 10, 0, &model) != FSC_OK) return fail("fsc_model_create");

    fsc_trainer_config config;
    fsc_trainer_config_default(&config); /* feature scattering, eps 0.1, Sinkhorn reg 0.01 */
    config.epochs = epochs;
    fsc_trainer *trainer = NULL;
    if (fsc_trainer_create(model, &config, &trainer) != FSC_OK) return fail("fsc_trainer_create");
    double accuracy = 0;
    if (fsc_trainer_train(trainer, train, test, NULL, show, NULL, &accuracy) != FSC_OK) return fail("training");
    printf("clean test accuracy: %.2f%%\n", accuracy);

    fsc_eval_config evaluation;
    fsc_eval_config_default(&evaluation); /* L-inf, eps 0.1, the first 1000 test images */
    evaluation.attacks = "pgd20";
    fsc_report *report = NULL;
    if (fsc_evaluate(model, test, &evaluation, &report) != FSC_OK) return fail("fsc_evaluate");
    double clean = 0, pgd = 0;
    fsc_report_accuracy(report, "clean", &clean);
    fsc_report_accuracy(report, "pgd20", &pgd);
    printf("accuracy: clean %.2f%%, PGD-20 (eps 0.1) %.2f%%\n", clean, pgd);
    fsc_report_free(report);

    char path[4096];
    snprintf(path, sizeof path, "%s.fsc", stem);
    if (fsc_model_save_checkpoint(model, path) != FSC_OK) return fail("saving the checkpoint");
    printf("checkpoint: %s\n", path);
    snprintf(path, sizeof path, "%s.onnx", stem);
    if (fsc_model_save_onnx(model, path, 0) != FSC_OK) return fail("exporting ONNX");
    printf("ONNX: %s\n", path);

    fsc_trainer_free(trainer);
    fsc_model_free(model);
    fsc_dataset_free(train);
    fsc_dataset_free(test);
    return 0;
}
