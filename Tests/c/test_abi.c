/* test_abi.c — the C ABI under bad and good input: every call returns the right status with a
   message, and the process survives. Prints "N passed, M failed". */
#include <featurescatter.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond, what)                                                                  \
    do {                                                                                   \
        if (cond) {                                                                        \
            passed++;                                                                      \
        } else {                                                                           \
            failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d %s (last error: %s)\n", __FILE__, __LINE__, what,  \
                    fsc_last_error());                                                     \
        }                                                                                  \
    } while (0)

/* A failing call must return `status` and leave a message naming the function. */
#define EXPECT_STATUS(call, status, fn)                                                    \
    do {                                                                                   \
        fsc_status s_ = (call);                                                            \
        CHECK(s_ == (status), #call);                                                      \
        CHECK((status) == FSC_OK || strstr(fsc_last_error(), fn) != NULL, "message names " fn); \
    } while (0)

static float *random_images(int64_t n, int64_t per_image, unsigned seed) {
    float *x = malloc(sizeof(float) * (size_t)(n * per_image));
    srand(seed);
    for (int64_t i = 0; i < n * per_image; i++) x[i] = (float)rand() / (float)RAND_MAX;
    return x;
}

static void test_library(void) {
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", FSC_VERSION_MAJOR, FSC_VERSION_MINOR, FSC_VERSION_PATCH);
    CHECK(strcmp(fsc_version(), expected) == 0, "header and library versions match");
    CHECK(strcmp(fsc_status_string(FSC_ERR_SHAPE), "FSC_ERR_SHAPE") == 0, "status names");
    CHECK(strcmp(fsc_status_string((fsc_status)99), "FSC_ERR_UNKNOWN") == 0, "unknown status name");
    CHECK(strlen(fsc_blas_core()) > 0, "blas core");
    int32_t threads = 0;
    EXPECT_STATUS(fsc_get_threads(&threads), FSC_OK, "");
    CHECK(threads >= 1, "threads >= 1");
    EXPECT_STATUS(fsc_get_threads(NULL), FSC_ERR_INVALID_ARGUMENT, "fsc_get_threads");
    EXPECT_STATUS(fsc_set_threads(0), FSC_ERR_INVALID_ARGUMENT, "fsc_set_threads");
    EXPECT_STATUS(fsc_set_threads(threads), FSC_OK, "");
}

static void test_free_null_is_a_no_op(void) {
    fsc_model_free(NULL);
    fsc_dataset_free(NULL);
    fsc_trainer_free(NULL);
    fsc_report_free(NULL);
    fsc_communicator_free(NULL);
    CHECK(1, "free(NULL)");
    int32_t rank = -1;
    EXPECT_STATUS(fsc_communicator_info(NULL, &rank, NULL), FSC_ERR_INVALID_ARGUMENT, "communicator");
    EXPECT_STATUS(fsc_communicator_from_mpi(0, NULL), FSC_ERR_INVALID_ARGUMENT, "communicator");
    fsc_communicator *no_mpi = NULL;
    EXPECT_STATUS(fsc_communicator_from_mpi(0, &no_mpi), FSC_ERR_IO, "MPI");
}

static void test_models(void) {
    const int64_t shape[3] = {1, 28, 28};
    fsc_model *model = NULL;
    EXPECT_STATUS(fsc_model_create(NULL, shape, 10, 0, &model), FSC_ERR_INVALID_ARGUMENT, "fsc_model_create");
    EXPECT_STATUS(fsc_model_create("smallcnn", NULL, 10, 0, &model), FSC_ERR_INVALID_ARGUMENT, "fsc_model_create");
    EXPECT_STATUS(fsc_model_create("smallcnn", shape, 1, 0, &model), FSC_ERR_INVALID_ARGUMENT, "fsc_model_create");
    EXPECT_STATUS(fsc_model_create("resnet9000", shape, 10, 0, &model), FSC_ERR_INVALID_ARGUMENT, "resnet9000");
    const int64_t negative[3] = {1, -28, 28};
    EXPECT_STATUS(fsc_model_create("smallcnn", negative, 10, 0, &model), FSC_ERR_SHAPE, "fsc_model_create");
    EXPECT_STATUS(fsc_model_create("smallcnn", shape, 10, 0, NULL), FSC_ERR_INVALID_ARGUMENT, "fsc_model_create");
    EXPECT_STATUS(fsc_model_create("smallcnn", shape, 10, 0, &model), FSC_OK, "");

    int64_t count = 0;
    EXPECT_STATUS(fsc_model_parameter_count(model, &count), FSC_OK, "");
    CHECK(count == 312202, "SmallCNN has 312,202 parameters");
    EXPECT_STATUS(fsc_model_parameter_count(model, NULL), FSC_ERR_INVALID_ARGUMENT, "fsc_model_parameter_count");

    float *x = random_images(2, 784, 1);
    const int64_t xs[4] = {2, 1, 28, 28};
    float logits[20];
    int32_t labels[2];
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, logits, 20), FSC_OK, "");
    CHECK(isfinite(logits[0]) && isfinite(logits[19]), "finite logits");
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, logits, 19), FSC_ERR_SHAPE, "fsc_model_forward");
    EXPECT_STATUS(fsc_model_forward(model, NULL, xs, 4, logits, 20), FSC_ERR_INVALID_ARGUMENT, "fsc_model_forward");
    const int64_t wrong[4] = {2, 3, 28, 28};
    EXPECT_STATUS(fsc_model_forward(model, x, wrong, 4, logits, 20), FSC_ERR_SHAPE, "fsc_model_forward");
    const int64_t flat[2] = {2, 784};
    EXPECT_STATUS(fsc_model_forward(model, x, flat, 2, logits, 20), FSC_ERR_SHAPE, "fsc_model_forward");
    x[5] = NAN;
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, logits, 20), FSC_ERR_NOT_FINITE, "fsc_model_forward");
    x[5] = 1.5f;
    EXPECT_STATUS(fsc_model_predict(model, x, xs, 4, labels, 2), FSC_ERR_INVALID_ARGUMENT, "fsc_model_predict");
    x[5] = 0.5f;
    EXPECT_STATUS(fsc_model_predict(model, x, xs, 4, labels, 2), FSC_OK, "");
    CHECK(labels[0] >= 0 && labels[0] < 10, "predicted label in range");

    const char *path = "/tmp/fsc_test_abi.fsc";
    EXPECT_STATUS(fsc_model_save_checkpoint(model, path), FSC_OK, "");
    fsc_model *loaded = NULL;
    EXPECT_STATUS(fsc_model_load_checkpoint(path, &loaded), FSC_OK, "");
    float again[20];
    EXPECT_STATUS(fsc_model_forward(loaded, x, xs, 4, again, 20), FSC_OK, "");
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, logits, 20), FSC_OK, "");
    CHECK(memcmp(logits, again, sizeof logits) == 0, "checkpoint round trip reproduces logits");
    EXPECT_STATUS(fsc_model_load_checkpoint("/nonexistent/model.fsc", &loaded), FSC_ERR_IO, "model.fsc");
    EXPECT_STATUS(fsc_model_save_checkpoint(model, "/nonexistent/dir/x.fsc"), FSC_ERR_IO, "fsc_model_save_checkpoint");
    fsc_model_free(loaded);
    remove(path);

    fsc_model_free(model);
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, logits, 20), FSC_ERR_INVALID_ARGUMENT, "not a live");
    fsc_model_free(model); /* double free of a dead handle is ignored */
    free(x);
}

static void test_datasets(void) {
    float *x = random_images(4, 16, 2);
    const int64_t shape[4] = {4, 1, 4, 4};
    int32_t labels[4] = {0, 1, 2, 1};
    fsc_dataset *data = NULL;
    EXPECT_STATUS(fsc_dataset_from_memory(x, shape, 4, labels, 4, 3, &data), FSC_OK, "");
    int64_t count = 0, image_shape[3] = {0, 0, 0};
    int32_t classes = 0;
    EXPECT_STATUS(fsc_dataset_info(data, &count, image_shape, &classes), FSC_OK, "");
    CHECK(count == 4 && image_shape[2] == 4 && classes == 3, "dataset info");
    float copy[32];
    int32_t copied[2];
    EXPECT_STATUS(fsc_dataset_copy(data, 1, 2, copy, 32, copied, 2), FSC_OK, "");
    CHECK(copy[0] == x[16] && copied[1] == 2, "dataset copy");
    EXPECT_STATUS(fsc_dataset_copy(data, 3, 2, copy, 32, copied, 2), FSC_ERR_INVALID_ARGUMENT, "fsc_dataset_copy");
    fsc_dataset_free(data);

    labels[2] = 7;
    EXPECT_STATUS(fsc_dataset_from_memory(x, shape, 4, labels, 4, 3, &data), FSC_ERR_INVALID_ARGUMENT, "labels[2]");
    EXPECT_STATUS(fsc_dataset_from_memory(x, shape, 4, labels, 3, 3, &data), FSC_ERR_SHAPE, "fsc_dataset_from_memory");
    EXPECT_STATUS(fsc_dataset_load("fashion-mnist", "/nonexistent", FSC_SPLIT_TEST, 0, &data), FSC_ERR_IO,
                  "t10k-images-idx3-ubyte");
    EXPECT_STATUS(fsc_dataset_load("fashion-mnist", NULL, (fsc_split)5, 0, &data), FSC_ERR_INVALID_ARGUMENT,
                  "fsc_dataset_load");
    EXPECT_STATUS(fsc_dataset_load("imagenet", NULL, FSC_SPLIT_TEST, 0, &data), FSC_ERR_INVALID_ARGUMENT, "imagenet");
    free(x);
}

static void test_ot(void) {
    fsc_ot_config config;
    EXPECT_STATUS(fsc_ot_config_default(&config), FSC_OK, "");
    CHECK(config.struct_size == sizeof(fsc_ot_config) && config.regularization == 0.01, "OT defaults");
    /* A 2x2 cost with a cheap diagonal: the exact plan is the identity / 2, cost 0. */
    const float cost[4] = {0, 1, 1, 0};
    float plan[4];
    fsc_ot_report report = {sizeof(fsc_ot_report), 0, 0, 0, 0, 0};
    config.solver = FSC_OT_EXACT;
    EXPECT_STATUS(fsc_ot_solve(cost, 2, 2, NULL, NULL, &config, plan, &report), FSC_OK, "");
    CHECK(fabsf(plan[0] - 0.5f) < 1e-6f && plan[1] == 0 && report.transport_cost == 0, "exact 2x2 plan");
    config.solver = (fsc_ot_solver)42;
    EXPECT_STATUS(fsc_ot_solve(cost, 2, 2, NULL, NULL, &config, plan, &report), FSC_ERR_INVALID_ARGUMENT, "solver");
    config.solver = FSC_OT_SINKHORN;
    const float nan_cost[4] = {0, NAN, 1, 0};
    EXPECT_STATUS(fsc_ot_solve(nan_cost, 2, 2, NULL, NULL, &config, plan, &report), FSC_ERR_NOT_FINITE, "cost[1]");
    const float a[2] = {0.7f, 0.7f};
    EXPECT_STATUS(fsc_ot_solve(cost, 2, 2, a, NULL, &config, plan, &report), FSC_ERR_INVALID_ARGUMENT, "fsc_ot_solve");
    EXPECT_STATUS(fsc_ot_solve(cost, 0, 2, NULL, NULL, &config, plan, &report), FSC_ERR_INVALID_ARGUMENT, "fsc_ot_solve");

    const float xs[6] = {1, 0, 0, 1, 1, 1}, ys[6] = {0, 1, 1, 0, -1, 1};
    double distance = -1;
    float gx[6], gy[6];
    EXPECT_STATUS(fsc_ot_distance(xs, 3, ys, 3, 2, FSC_COST_COSINE, NULL, FSC_GRAD_UNROLLED, &distance, gx, gy, NULL),
                  FSC_OK, "");
    CHECK(distance >= 0 && distance <= 2 && isfinite(gx[0]) && isfinite(gy[5]), "OT distance and gradients");
    config.matching = FSC_MATCHING_IDENTITY;
    EXPECT_STATUS(fsc_ot_distance(xs, 3, ys, 2, 2, FSC_COST_COSINE, &config, FSC_GRAD_ENVELOPE, &distance, NULL, NULL,
                                  NULL),
                  FSC_ERR_INVALID_ARGUMENT, "identity");
    EXPECT_STATUS(fsc_ot_distance(xs, 3, ys, 3, 2, (fsc_cost)9, NULL, FSC_GRAD_ENVELOPE, &distance, NULL, NULL, NULL),
                  FSC_ERR_INVALID_ARGUMENT, "fsc_cost");
}

static int calls;
static int cancel_after_two(const fsc_progress *progress, void *user) {
    (void)user;
    calls++;
    return progress->batch >= 2;
}

static void test_trainer(void) {
    const int64_t shape[3] = {1, 8, 8};
    fsc_model *model = NULL;
    EXPECT_STATUS(fsc_model_create("mlp", shape, 3, 1, &model), FSC_OK, "");
    fsc_trainer_config config;
    EXPECT_STATUS(fsc_trainer_config_default(&config), FSC_OK, "");
    CHECK(config.method == FSC_METHOD_FEATURE_SCATTERING && config.ot.max_iterations == 100, "trainer defaults");
    fsc_trainer *trainer = NULL;
    config.struct_size = 8;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_ERR_INVALID_ARGUMENT, "struct_size");
    EXPECT_STATUS(fsc_trainer_config_default(&config), FSC_OK, "");
    config.method = (fsc_method)17;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_ERR_INVALID_ARGUMENT, "fsc_method");
    config.method = FSC_METHOD_FEATURE_SCATTERING;
    config.epsilon = 3;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_ERR_INVALID_ARGUMENT, "epsilon");
    config.epsilon = 0.1f;
    config.ot_scope = (fsc_ot_scope)9;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_ERR_INVALID_ARGUMENT, "fsc_ot_scope");
    config.ot_scope = FSC_OT_SCOPE_GLOBAL;
    config.bucket_megabytes = 0;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_ERR_INVALID_ARGUMENT, "bucket");
    config.bucket_megabytes = 25;
    /* A 0.2 caller's struct ends before the 0.3 fields, which then take their defaults. */
    config.struct_size = offsetof(fsc_trainer_config, communicator);
    config.ot_scope = (fsc_ot_scope)9;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_OK, "0.2 struct");
    fsc_trainer_free(trainer);
    /* Bilateral training: 0 = its default beta, a beta <= 0 is refused, label smoothing does not apply;
       a 0.3 caller's struct ends before bilateral_beta, which then keeps its default. */
    EXPECT_STATUS(fsc_trainer_config_default(&config), FSC_OK, "");
    CHECK(config.bilateral_beta == 0, "bilateral_beta default");
    config.method = FSC_METHOD_BILATERAL;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_OK, "bilateral");
    fsc_trainer_free(trainer);
    config.bilateral_beta = -1;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_ERR_INVALID_ARGUMENT, "bilateral");
    config.struct_size = offsetof(fsc_trainer_config, crop_padding) + 4;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_OK, "0.3 struct, bilateral");
    fsc_trainer_free(trainer);
    config.struct_size = sizeof config;
    config.bilateral_beta = 0;
    config.label_smoothing = 0.5f;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_ERR_INVALID_ARGUMENT, "label smoothing");
    EXPECT_STATUS(fsc_trainer_config_default(&config), FSC_OK, "");
    config.batch_size = 4;
    config.epochs = 2;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_OK, "");

    float *x = random_images(8, 64, 3);
    const int64_t xs[4] = {8, 1, 8, 8};
    int32_t labels[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    float loss = -1;
    EXPECT_STATUS(fsc_trainer_step(trainer, x, xs, 4, labels, 8, &loss), FSC_OK, "");
    CHECK(isfinite(loss) && loss > 0, "step loss");
    labels[3] = 3;
    EXPECT_STATUS(fsc_trainer_step(trainer, x, xs, 4, labels, 8, &loss), FSC_ERR_INVALID_ARGUMENT, "labels[3]");
    labels[3] = 0;

    fsc_dataset *data = NULL;
    EXPECT_STATUS(fsc_dataset_from_memory(x, xs, 4, labels, 8, 3, &data), FSC_OK, "");
    double accuracy = -1;
    EXPECT_STATUS(fsc_trainer_train(trainer, data, data, NULL, cancel_after_two, NULL, &accuracy), FSC_ERR_CANCELLED,
                  "cancelled");
    CHECK(calls == 2, "progress called until cancelled");
    EXPECT_STATUS(fsc_trainer_train(trainer, data, data, NULL, NULL, NULL, &accuracy), FSC_OK, "");
    CHECK(accuracy >= 0 && accuracy <= 100, "trained accuracy");
    EXPECT_STATUS(fsc_trainer_train(trainer, NULL, data, NULL, NULL, NULL, &accuracy), FSC_ERR_INVALID_ARGUMENT,
                  "fsc_trainer_train");

    fsc_model *other = NULL;
    const int64_t big[3] = {1, 28, 28};
    EXPECT_STATUS(fsc_model_create("mlp", big, 3, 1, &other), FSC_OK, "");
    fsc_trainer *mismatched = NULL;
    EXPECT_STATUS(fsc_trainer_create(other, &config, &mismatched), FSC_OK, "");
    EXPECT_STATUS(fsc_trainer_train(mismatched, data, NULL, NULL, NULL, NULL, NULL), FSC_ERR_SHAPE, "fsc_trainer_train");
    fsc_trainer_free(mismatched);
    fsc_model_free(other);

    fsc_trainer_free(trainer);
    fsc_model_free(model);
    fsc_dataset_free(data);
    free(x);
}

/* ONNX in and out: files and bytes, with bad input of each kind. */
static void test_presets(void) {
    fsc_trainer_config config;
    const char *dataset = NULL, *architecture = NULL;
    EXPECT_STATUS(fsc_trainer_config_preset("paper-cifar10-fs", &config, &dataset, &architecture), FSC_OK, "");
    CHECK(strcmp(dataset, "cifar10") == 0 && strcmp(architecture, "wrn-28-10") == 0, "preset data and model");
    CHECK(config.method == FSC_METHOD_FEATURE_SCATTERING && fabsf(config.epsilon - 8.0f / 255) < 1e-7f &&
          config.epochs == 200 && config.batch_size == 60 && fabsf(config.learning_rate - 0.1f) < 1e-7f &&
          config.decay_epochs[0] == 60 && config.decay_epochs[1] == 90 && config.decay_epochs[2] == 0 &&
          config.crop_padding == 4 && config.horizontal_flip == 1 && config.ot.regularization == 0.01 &&
          config.ot.max_iterations == 100 && config.attack_steps == 0 && config.label_smoothing < 0,
          "paper-cifar10-fs recipe");
    EXPECT_STATUS(fsc_trainer_config_preset("paper-svhn-madry", &config, NULL, NULL), FSC_OK, "");
    CHECK(config.method == FSC_METHOD_MADRY && config.epochs == 100 && config.crop_padding == 0 &&
          config.horizontal_flip == 0 && fabsf(config.learning_rate - 0.01f) < 1e-7f, "paper-svhn-madry recipe");
    EXPECT_STATUS(fsc_trainer_config_preset("paper-mnist-fs", &config, NULL, NULL), FSC_ERR_INVALID_ARGUMENT,
                  "paper-cifar10-fs");
    EXPECT_STATUS(fsc_trainer_config_preset(NULL, &config, NULL, NULL), FSC_ERR_INVALID_ARGUMENT, "name");
    EXPECT_STATUS(fsc_trainer_config_preset("paper-svhn-fs", NULL, NULL, NULL), FSC_ERR_INVALID_ARGUMENT, "config");

    /* The preset's model normalises inside: on x it gives what the same network gives on 2x - 1. */
    const int64_t shape[3] = {3, 8, 8};
    fsc_model *preset_model = NULL, *network = NULL;
    EXPECT_STATUS(fsc_model_create_preset("paper-cifar10-standard", shape, 10, 5, &preset_model), FSC_OK, "");
    EXPECT_STATUS(fsc_model_create("wrn-28-10", shape, 10, 5, &network), FSC_OK, "");
    float x[2 * 3 * 8 * 8], centred[2 * 3 * 8 * 8], normalised[20], plain[20];
    for (int i = 0; i < 2 * 3 * 8 * 8; i++) {
        x[i] = 0.5f + 0.5f * (float)((i * 37) % 101) / 100.0f;
        centred[i] = 2 * x[i] - 1;
    }
    const int64_t xs[4] = {2, 3, 8, 8};
    EXPECT_STATUS(fsc_model_forward(preset_model, x, xs, 4, normalised, 20), FSC_OK, "");
    EXPECT_STATUS(fsc_model_forward(network, centred, xs, 4, plain, 20), FSC_OK, "");
    float largest = 0;
    for (int i = 0; i < 20; i++) largest = fmaxf(largest, fabsf(normalised[i] - plain[i]));
    CHECK(largest < 1e-4f, "preset model = normalisation + network");
    EXPECT_STATUS(fsc_model_create_preset("nope", shape, 10, 5, &preset_model), FSC_ERR_INVALID_ARGUMENT, "nope");
    fsc_model_free(preset_model);
    fsc_model_free(network);

    /* Augmentation fields are read: a negative padding is refused. */
    fsc_model *model = NULL;
    EXPECT_STATUS(fsc_model_create("mlp", shape, 10, 1, &model), FSC_OK, "");
    EXPECT_STATUS(fsc_trainer_config_preset("paper-cifar10-standard", &config, NULL, NULL), FSC_OK, "");
    config.crop_padding = -1;
    fsc_trainer *trainer = NULL;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_ERR_INVALID_ARGUMENT, "crop_padding");
    /* A 0.3 caller's struct ends before them: its padding is not read as crop_padding. */
    config.struct_size = offsetof(fsc_trainer_config, crop_padding) + 4;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_OK, "0.3 struct");
    fsc_trainer_free(trainer);
    config.struct_size = sizeof config;
    config.crop_padding = 4;
    EXPECT_STATUS(fsc_trainer_create(model, &config, &trainer), FSC_OK, "");
    fsc_trainer_free(trainer);
    fsc_model_free(model);
}

static void test_onnx(void) {
    const int64_t shape[3] = {1, 8, 8};
    fsc_model *model = NULL, *back = NULL;
    EXPECT_STATUS(fsc_model_create("mlp", shape, 3, 2, &model), FSC_OK, "");
    size_t size = 0;
    EXPECT_STATUS(fsc_model_to_onnx_bytes(model, 0, NULL, 0, &size), FSC_OK, "");
    CHECK(size > 1000, "ONNX size reported");
    uint8_t *bytes = malloc(size);
    size_t small = 0;
    EXPECT_STATUS(fsc_model_to_onnx_bytes(model, 0, bytes, size - 1, &small), FSC_ERR_SHAPE, "fsc_model_to_onnx_bytes");
    CHECK(small == size, "size reported on a short buffer");
    EXPECT_STATUS(fsc_model_to_onnx_bytes(model, 0, NULL, 5, &size), FSC_ERR_INVALID_ARGUMENT, "fsc_model_to_onnx_bytes");
    EXPECT_STATUS(fsc_model_to_onnx_bytes(model, 12, bytes, size, &size), FSC_ERR_INVALID_ARGUMENT, "opset");
    EXPECT_STATUS(fsc_model_to_onnx_bytes(model, 0, bytes, size, NULL), FSC_ERR_INVALID_ARGUMENT, "fsc_model_to_onnx_bytes");
    EXPECT_STATUS(fsc_model_to_onnx_bytes(model, 13, bytes, size, &size), FSC_OK, "");

    EXPECT_STATUS(fsc_model_from_onnx_bytes(bytes, size, NULL, &back), FSC_OK, "");
    float *x = random_images(2, 64, 9);
    const int64_t xs[4] = {2, 1, 8, 8};
    float a[6], b[6];
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, a, 6), FSC_OK, "");
    EXPECT_STATUS(fsc_model_forward(back, x, xs, 4, b, 6), FSC_OK, "");
    CHECK(memcmp(a, b, sizeof a) == 0, "export then import gives the same logits");
    int64_t count = 0;
    EXPECT_STATUS(fsc_model_parameter_count(back, &count), FSC_OK, "");
    CHECK(count > 0, "imported parameters are trainable");

    EXPECT_STATUS(fsc_model_from_onnx_bytes(NULL, size, NULL, &back), FSC_ERR_INVALID_ARGUMENT, "fsc_model_from_onnx_bytes");
    EXPECT_STATUS(fsc_model_from_onnx_bytes(bytes, 0, NULL, &back), FSC_ERR_INVALID_ARGUMENT, "fsc_model_from_onnx_bytes");
    EXPECT_STATUS(fsc_model_from_onnx_bytes(bytes, size / 2, NULL, &back), FSC_ERR_ONNX, "fsc_model_from_onnx_bytes");
    const uint8_t junk[16] = {0xff, 0xfe, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e};
    EXPECT_STATUS(fsc_model_from_onnx_bytes(junk, sizeof junk, NULL, &back), FSC_ERR_ONNX, "fsc_model_from_onnx_bytes");
    const int64_t wrong[3] = {3, 8, 8};
    EXPECT_STATUS(fsc_model_from_onnx_bytes(bytes, size, wrong, &back), FSC_ERR_SHAPE, "fsc_model_from_onnx_bytes");
    EXPECT_STATUS(fsc_model_from_onnx_bytes(bytes, size, NULL, NULL), FSC_ERR_INVALID_ARGUMENT, "fsc_model_from_onnx_bytes");

    EXPECT_STATUS(fsc_model_save_onnx(model, "fsc_test_abi.onnx", 0), FSC_OK, "");
    fsc_model *loaded = NULL;
    EXPECT_STATUS(fsc_model_load_onnx("fsc_test_abi.onnx", shape, &loaded), FSC_OK, "");
    EXPECT_STATUS(fsc_model_forward(loaded, x, xs, 4, b, 6), FSC_OK, "");
    CHECK(memcmp(a, b, sizeof a) == 0, "saved then loaded ONNX gives the same logits");
    EXPECT_STATUS(fsc_model_save_checkpoint(loaded, "fsc_test_abi_onnx.fsc"), FSC_OK, "");
    fsc_model *restored = NULL;
    EXPECT_STATUS(fsc_model_load_checkpoint("fsc_test_abi_onnx.fsc", &restored), FSC_OK, "");
    EXPECT_STATUS(fsc_model_forward(restored, x, xs, 4, b, 6), FSC_OK, "");
    CHECK(memcmp(a, b, sizeof a) == 0, "a checkpoint of an imported model restores it alone");
    remove("fsc_test_abi.onnx");
    remove("fsc_test_abi_onnx.fsc");
    EXPECT_STATUS(fsc_model_load_onnx("/nonexistent/model.onnx", NULL, &loaded), FSC_ERR_IO, "fsc_model_load_onnx");
    EXPECT_STATUS(fsc_model_load_onnx(NULL, NULL, &loaded), FSC_ERR_INVALID_ARGUMENT, "fsc_model_load_onnx");
    EXPECT_STATUS(fsc_model_save_onnx(model, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "fsc_model_save_onnx");
    EXPECT_STATUS(fsc_model_save_onnx(model, "/nonexistent/dir/m.onnx", 0), FSC_ERR_IO, "fsc_model_save_onnx");
    EXPECT_STATUS(fsc_model_save_onnx(model, "never.onnx", 99), FSC_ERR_INVALID_ARGUMENT, "opset");

    fsc_model_free(restored);
    fsc_model_free(loaded);
    fsc_model_free(back);
    EXPECT_STATUS(fsc_model_to_onnx_bytes(back, 0, NULL, 0, &size), FSC_ERR_INVALID_ARGUMENT, "fsc_model_to_onnx_bytes");
    fsc_model_free(model);
    free(bytes);
    free(x);
}

static float max_abs_difference(const float *a, const float *b, size_t n) {
    float worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmaxf(worst, fabsf(a[i] - b[i]));
    return worst;
}

/* Every attack kind on a batch: inside the ball and [0,1], the same seed the same output. */
static void test_attacks(void) {
    const int64_t shape[3] = {1, 8, 8};
    fsc_model *model = NULL;
    EXPECT_STATUS(fsc_model_create("mlp", shape, 5, 4, &model), FSC_OK, "");
    float *x = random_images(4, 64, 5);
    const int64_t xs[4] = {4, 1, 8, 8};
    const int32_t labels[4] = {0, 1, 2, 3};
    float adversarial[256], again[256], before[20], after[20];
    fsc_attack_config config;
    EXPECT_STATUS(fsc_attack_config_default(&config), FSC_OK, "");
    CHECK(config.kind == FSC_ATTACK_PGD && config.queries == 5000 && config.random_start == -1, "attack defaults");
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, before, 20), FSC_OK, "");
    for (int kind = FSC_ATTACK_FGSM; kind <= FSC_ATTACK_NOISE; kind++) {
        EXPECT_STATUS(fsc_attack_config_default(&config), FSC_OK, "");
        config.kind = (fsc_attack_kind)kind;
        config.steps = 5;
        config.queries = 50;
        config.epsilon = 0.05f;
        config.seed = 11;
        EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_OK, "");
        CHECK(max_abs_difference(adversarial, x, 256) <= 0.05f + 1e-6f, "inside the L-inf ball");
        int inside = 1;
        for (int i = 0; i < 256; i++) inside &= adversarial[i] >= 0 && adversarial[i] <= 1;
        CHECK(inside, "inside [0,1]");
        EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, again, 256), FSC_OK, "");
        CHECK(memcmp(adversarial, again, sizeof again) == 0, "same seed, same output");
    }
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, after, 20), FSC_OK, "");
    CHECK(memcmp(before, after, sizeof after) == 0, "attacks leave the model unchanged");

    EXPECT_STATUS(fsc_attack_config_default(&config), FSC_OK, "");
    config.norm = FSC_NORM_L2;
    config.epsilon = 0.5f;
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_OK, "");
    for (int image = 0; image < 4; image++) {
        double squared = 0;
        for (int i = 0; i < 64; i++) squared += pow(adversarial[image * 64 + i] - x[image * 64 + i], 2);
        CHECK(sqrt(squared) <= 0.5 + 1e-5, "inside the L2 ball");
    }
    config.kind = FSC_ATTACK_SQUARE;
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "L");

    EXPECT_STATUS(fsc_attack_config_default(&config), FSC_OK, "");
    EXPECT_STATUS(fsc_attack_run(model, NULL, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "fsc_attack_run");
    EXPECT_STATUS(fsc_attack_run(model, &config, NULL, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "fsc_attack_run");
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 3, adversarial, 256), FSC_ERR_SHAPE, "labels");
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 255), FSC_ERR_SHAPE, "adversarial");
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, NULL, 256), FSC_ERR_INVALID_ARGUMENT, "fsc_attack_run");
    config.struct_size = 4;
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "struct_size");
    EXPECT_STATUS(fsc_attack_config_default(&config), FSC_OK, "");
    config.kind = (fsc_attack_kind)42;
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "fsc_attack_kind");
    config.kind = FSC_ATTACK_PGD;
    config.epsilon = NAN;
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "epsilon");
    config.epsilon = 0.1f;
    config.target = FSC_TARGET_RANDOM;
    config.kind = FSC_ATTACK_APGD_CE;
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "target");
    config.target = (fsc_attack_target)9;
    config.kind = FSC_ATTACK_PGD;
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "fsc_attack_target");
    EXPECT_STATUS(fsc_attack_config_default(&config), FSC_OK, "");
    const int32_t bad_labels[4] = {0, 1, 2, 7};
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, bad_labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "labels[3]");
    x[7] = NAN;
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_NOT_FINITE, "fsc_attack_run");

    fsc_model *three = NULL;
    EXPECT_STATUS(fsc_model_create("mlp", shape, 3, 4, &three), FSC_OK, "");
    x[7] = 0.5f;
    config.kind = FSC_ATTACK_APGD_T;
    const int32_t small_labels[4] = {0, 1, 2, 0};
    EXPECT_STATUS(fsc_attack_run(three, &config, x, xs, 4, small_labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "4 classes");
    fsc_model_free(three);
    fsc_model_free(model);
    EXPECT_STATUS(fsc_attack_run(model, &config, x, xs, 4, labels, 4, adversarial, 256), FSC_ERR_INVALID_ARGUMENT, "fsc_attack_run");
    free(x);
}

/* An evaluation report: accuracies by name, JSON in a caller buffer, bad lists and sizes. */
static void test_evaluation(void) {
    const int64_t shape[3] = {1, 8, 8};
    fsc_model *model = NULL;
    EXPECT_STATUS(fsc_model_create("mlp", shape, 4, 6, &model), FSC_OK, "");
    float *x = random_images(12, 64, 7);
    const int64_t xs[4] = {12, 1, 8, 8};
    int32_t labels[12];
    for (int i = 0; i < 12; i++) labels[i] = i % 4;
    fsc_dataset *data = NULL;
    EXPECT_STATUS(fsc_dataset_from_memory(x, xs, 4, labels, 12, 4, &data), FSC_OK, "");
    fsc_eval_config config;
    EXPECT_STATUS(fsc_eval_config_default(&config), FSC_OK, "");
    CHECK(config.limit == 1000 && strcmp(config.attacks, "fgsm,pgd20,cw20,apgd-ce") == 0, "evaluation defaults");
    config.attacks = "fgsm,pgd5";
    config.worst_case = "noise";
    fsc_report *report = NULL;
    EXPECT_STATUS(fsc_evaluate(model, data, &config, &report), FSC_OK, "");
    double clean = -1, fgsm = -1, pgd = -1, worst = -1;
    EXPECT_STATUS(fsc_report_accuracy(report, "clean", &clean), FSC_OK, "");
    EXPECT_STATUS(fsc_report_accuracy(report, "fgsm", &fgsm), FSC_OK, "");
    EXPECT_STATUS(fsc_report_accuracy(report, "pgd5", &pgd), FSC_OK, "");
    EXPECT_STATUS(fsc_report_accuracy(report, "worst_case", &worst), FSC_OK, "");
    CHECK(clean >= fgsm && clean >= pgd && worst <= fgsm && worst <= pgd && worst >= 0, "worst case <= each attack <= clean");
    EXPECT_STATUS(fsc_report_accuracy(report, "square", &worst), FSC_ERR_INVALID_ARGUMENT, "square");
    EXPECT_STATUS(fsc_report_accuracy(report, NULL, &worst), FSC_ERR_INVALID_ARGUMENT, "fsc_report_accuracy");
    size_t length = 0;
    EXPECT_STATUS(fsc_report_json(report, NULL, 0, &length), FSC_OK, "");
    char *json = malloc(length + 1);
    EXPECT_STATUS(fsc_report_json(report, json, length, &length), FSC_ERR_SHAPE, "fsc_report_json");
    EXPECT_STATUS(fsc_report_json(report, json, length + 1, &length), FSC_OK, "");
    CHECK(strlen(json) == length && strstr(json, "\"worst_case\"") && strstr(json, "\"pgd5\""), "JSON report");
    EXPECT_STATUS(fsc_report_json(report, NULL, 3, &length), FSC_ERR_INVALID_ARGUMENT, "fsc_report_json");
    EXPECT_STATUS(fsc_report_json(report, json, length + 1, NULL), FSC_ERR_INVALID_ARGUMENT, "fsc_report_json");
    free(json);
    fsc_report_free(report);
    EXPECT_STATUS(fsc_report_accuracy(report, "clean", &clean), FSC_ERR_INVALID_ARGUMENT, "fsc_report_accuracy");

    config.attacks = "pgd20,bogus";
    EXPECT_STATUS(fsc_evaluate(model, data, &config, &report), FSC_ERR_INVALID_ARGUMENT, "bogus");
    config.attacks = "pgd5";
    config.epsilon = INFINITY;
    EXPECT_STATUS(fsc_evaluate(model, data, &config, &report), FSC_ERR_INVALID_ARGUMENT, "epsilon");
    config.epsilon = 0.1f;
    config.batch_size = 0;
    EXPECT_STATUS(fsc_evaluate(model, data, &config, &report), FSC_ERR_INVALID_ARGUMENT, "batch size");
    config.batch_size = 8;
    config.norm = (fsc_norm)5;
    EXPECT_STATUS(fsc_evaluate(model, data, &config, &report), FSC_ERR_INVALID_ARGUMENT, "fsc_norm");
    config.norm = FSC_NORM_LINF;
    EXPECT_STATUS(fsc_evaluate(model, data, NULL, &report), FSC_ERR_INVALID_ARGUMENT, "fsc_evaluate");
    EXPECT_STATUS(fsc_evaluate(model, NULL, &config, &report), FSC_ERR_INVALID_ARGUMENT, "fsc_evaluate");
    EXPECT_STATUS(fsc_evaluate(model, data, &config, NULL), FSC_ERR_INVALID_ARGUMENT, "fsc_evaluate");
    fsc_model *other = NULL;
    EXPECT_STATUS(fsc_model_create("mlp", shape, 3, 6, &other), FSC_OK, "");
    EXPECT_STATUS(fsc_evaluate(other, data, &config, &report), FSC_ERR_SHAPE, "fsc_evaluate");
    fsc_model_free(other);
    fsc_dataset_free(data);
    fsc_model_free(model);
    free(x);
}

/* A loss surface: defaults, the clean loss in the middle, the directions, and every refusal. */
static void test_loss_surface(void) {
    const int64_t shape[3] = {1, 8, 8};
    fsc_model *model = NULL;
    EXPECT_STATUS(fsc_model_create("mlp", shape, 4, 8, &model), FSC_OK, "");
    float *x = random_images(1, 64, 9);
    const int64_t xs[4] = {1, 1, 8, 8};
    fsc_loss_surface_config config;
    EXPECT_STATUS(fsc_loss_surface_config_default(NULL), FSC_ERR_INVALID_ARGUMENT, "fsc_loss_surface_config_default");
    EXPECT_STATUS(fsc_loss_surface_config_default(&config), FSC_OK, "");
    CHECK(config.struct_size == sizeof config && config.points == 41 && config.extent == 2.0f && config.clip == 1 &&
          fabsf(config.epsilon - 0.1f) < 1e-7f && config.batch_size == 256 && config.seed == 0, "loss surface defaults");
    config.points = 5;
    float losses[25], axis[5], directions[128], logits[4];
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, axis, 5, directions, 128), FSC_OK, "");
    EXPECT_STATUS(fsc_model_forward(model, x, xs, 4, logits, 4), FSC_OK, "");
    double top = logits[0], total = 0;
    for (int k = 1; k < 4; k++) top = logits[k] > top ? logits[k] : top;
    for (int k = 0; k < 4; k++) total += exp(logits[k] - top);
    double clean = top + log(total) - logits[2];
    CHECK(fabs(losses[12] - clean) < 1e-4 && axis[2] == 0.0f && fabsf(axis[4] - 0.2f) < 1e-6f, "clean loss in the middle");
    int signs = 1;
    for (int i = 0; i < 128; i++) signs &= directions[i] == 1.0f || directions[i] == -1.0f || (i < 64 && directions[i] == 0.0f);
    CHECK(signs, "directions are signs and Rademacher entries");
    float again[25];
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, again, 25, NULL, 0, NULL, 0), FSC_OK, "");
    CHECK(memcmp(losses, again, sizeof again) == 0, "same seed, same surface; optional outputs may be NULL");

    EXPECT_STATUS(fsc_loss_surface(NULL, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "model");
    EXPECT_STATUS(fsc_loss_surface(model, NULL, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "config");
    EXPECT_STATUS(fsc_loss_surface(model, &config, NULL, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "images");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, NULL, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "shape");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 3, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_SHAPE, "rank 4");
    const int64_t two[4] = {2, 1, 8, 8}, wrong[4] = {1, 1, 8, 9};
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, two, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_SHAPE, "one image");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, wrong, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_SHAPE, "the model takes");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 4, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "label");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, -1, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "label");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, NULL, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "losses");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 24, NULL, 0, NULL, 0), FSC_ERR_SHAPE, "losses");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, axis, 4, NULL, 0), FSC_ERR_SHAPE, "axis");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 5, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "axis_count");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, directions, 64), FSC_ERR_SHAPE, "directions");
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 128), FSC_ERR_INVALID_ARGUMENT, "direction_count");

    config.points = 4;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 16, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "odd");
    config.points = 5;
    config.epsilon = NAN;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "epsilon");
    config.epsilon = 0.1f;
    config.extent = -1.0f;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "extent");
    config.extent = 2.0f;
    config.batch_size = 0;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "batch size");
    config.batch_size = 7;
    config.clip = 2;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "clip");
    config.clip = 1;
    config.struct_size = 8;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "struct_size");
    config.struct_size = sizeof config;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, again, 25, NULL, 0, NULL, 0), FSC_OK, "");
    CHECK(fabsf(again[12] - losses[12]) < 1e-5f, "the batch size does not change the surface");
    x[5] = 1.5f;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "[0, 1]");
    x[5] = NAN;
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_NOT_FINITE, "images[5]");
    fsc_model_free(model);
    EXPECT_STATUS(fsc_loss_surface(model, &config, x, xs, 4, 2, losses, 25, NULL, 0, NULL, 0), FSC_ERR_INVALID_ARGUMENT, "fsc_loss_surface");
    free(x);
}

int main(void) {
    test_library();
    test_free_null_is_a_no_op();
    test_models();
    test_datasets();
    test_ot();
    test_trainer();
    test_presets();
    test_onnx();
    test_attacks();
    test_evaluation();
    test_loss_surface();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
