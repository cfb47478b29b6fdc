/* test_threads.c — two threads, each with its own handles, train at the same time and end with
   exactly the weights of the same two runs done one after the other; one model used from two
   threads at once is serialised (its training ends as if alone); a dataset freed while a training
   call reads it stays alive until the call returns. Prints "N passed, M failed". */
#include <featurescatter.h>

#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IMAGES = 48, SIDE = 16, PIXELS = SIDE * SIDE, CLASSES = 4, PROBE = 8 };

/* One training job and what it ended with. */
typedef struct job {
    const char *architecture;
    fsc_method method;
    uint64_t seed;
    float logits[PROBE * CLASSES];
    fsc_status status;
    char error[256];
} job;

/* The same data for every job. A local generator: rand() shares one state between threads, so
   concurrent jobs drawing from it would get different data. */
static void make_data(float *images, int32_t *labels) {
    uint32_t state = 7;
    for (int i = 0; i < IMAGES; i++) {
        labels[i] = i % CLASSES;
        for (int p = 0; p < PIXELS; p++) {
            state = state * 1664525u + 1013904223u;
            float noise = (float)(state >> 8) / (float)(1u << 24);
            images[i * PIXELS + p] = 0.5f * noise + (p % CLASSES == labels[i] ? 0.5f : 0.0f);
        }
    }
}

/* The handles of `j`'s run on the shared data: a dataset, a model and a trainer for two epochs. */
static fsc_status make_run(const job *j, const float *images, const int32_t *labels, fsc_dataset **data,
                           fsc_model **model, fsc_trainer **trainer) {
    static const int64_t image_shape[3] = {1, SIDE, SIDE};
    const int64_t shape[4] = {IMAGES, 1, SIDE, SIDE};
    fsc_trainer_config config;
    fsc_trainer_config_default(&config);
    config.method = j->method;
    config.epochs = 2;
    config.batch_size = 16;
    config.seed = j->seed;
    fsc_status status = fsc_dataset_from_memory(images, shape, 4, labels, IMAGES, CLASSES, data);
    if (status == FSC_OK) status = fsc_model_create(j->architecture, image_shape, CLASSES, j->seed, model);
    if (status == FSC_OK) status = fsc_trainer_create(*model, &config, trainer);
    return status;
}

static const int64_t probe_shape[4] = {PROBE, 1, SIDE, SIDE};

/* Creates every handle it uses, trains two epochs, and records the logits of the first images. */
static void *run_job(void *argument) {
    job *j = argument;
    float *images = malloc(sizeof(float) * IMAGES * PIXELS);
    int32_t labels[IMAGES];
    make_data(images, labels);
    fsc_dataset *data = NULL;
    fsc_model *model = NULL;
    fsc_trainer *trainer = NULL;
    j->status = make_run(j, images, labels, &data, &model, &trainer);
    if (j->status == FSC_OK) j->status = fsc_trainer_train(trainer, data, NULL, NULL, NULL, NULL, NULL);
    if (j->status == FSC_OK)
        j->status = fsc_model_forward(model, images, probe_shape, 4, j->logits, PROBE * CLASSES);
    snprintf(j->error, sizeof j->error, "%s", j->status == FSC_OK ? "" : fsc_last_error());
    fsc_trainer_free(trainer);
    fsc_model_free(model);
    fsc_dataset_free(data);
    free(images);
    return NULL;
}

/* A model another thread trains, probed meanwhile from this thread. */
typedef struct shared {
    fsc_trainer *trainer;
    fsc_dataset *data;
    fsc_status status;
    atomic_int started, freed, done;
} shared;

/* On the first batch: tells the other thread that training runs, and waits until it freed the data. */
static int hold_first_batch(const fsc_progress *progress, void *user) {
    shared *s = user;
    if (progress->epoch == 1 && progress->batch == 1) {
        atomic_store(&s->started, 1);
        while (!atomic_load(&s->freed)) sched_yield();
    }
    return 0;
}

static void *train_shared(void *argument) {
    shared *s = argument;
    s->status = fsc_trainer_train(s->trainer, s->data, NULL, NULL, hold_first_batch, s, NULL);
    atomic_store(&s->done, 1);
    return NULL;
}

/* Trains `expected`'s job on one thread; this one frees the dataset while that training reads it,
   then calls forward on the same model (serialised after the training). The training must end
   with `expected`'s weights, and the freed handle must be refused afterwards. */
static int shared_handles(const job *expected) {
    float *images = malloc(sizeof(float) * IMAGES * PIXELS);
    int32_t labels[IMAGES];
    make_data(images, labels);
    fsc_model *model = NULL;
    shared s = {NULL, NULL, FSC_OK, 0, 0, 0};
    int ok = make_run(expected, images, labels, &s.data, &model, &s.trainer) == FSC_OK;
    pthread_t thread;
    int running = ok && pthread_create(&thread, NULL, train_shared, &s) == 0;
    while (running && !atomic_load(&s.started) && !atomic_load(&s.done)) sched_yield();
    fsc_dataset *freed = s.data;
    fsc_dataset_free(freed);
    atomic_store(&s.freed, 1);
    float probe[PROBE * CLASSES];
    for (int i = 0; ok && i < 20; i++)
        ok = fsc_model_forward(model, images, probe_shape, 4, probe, PROBE * CLASSES) == FSC_OK;
    if (running) pthread_join(thread, NULL);
    int64_t count = 0;
    ok = ok && s.status == FSC_OK &&
         fsc_dataset_info(freed, &count, NULL, NULL) == FSC_ERR_INVALID_ARGUMENT &&
         fsc_model_forward(model, images, probe_shape, 4, probe, PROBE * CLASSES) == FSC_OK &&
         memcmp(probe, expected->logits, sizeof probe) == 0;
    if (!ok) fprintf(stderr, "FAIL shared handles: status %d (%s)\n", s.status, fsc_last_error());
    fsc_trainer_free(s.trainer);
    fsc_model_free(model);
    free(images);
    return ok;
}

int main(void) {
    int passed = 0, failed = 0;
    job sequential[2] = {{"smallcnn", FSC_METHOD_FEATURE_SCATTERING, 1, {0}, FSC_OK, ""},
                         {"smallcnn", FSC_METHOD_MADRY, 2, {0}, FSC_OK, ""}};
    job concurrent[2];
    memcpy(concurrent, sequential, sizeof concurrent);
    for (int i = 0; i < 2; i++) run_job(&sequential[i]);
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, run_job, &concurrent[i]);
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < 2; i++) {
        int ok = sequential[i].status == FSC_OK && concurrent[i].status == FSC_OK &&
                 memcmp(sequential[i].logits, concurrent[i].logits, sizeof sequential[i].logits) == 0;
        ok ? passed++ : failed++;
        if (!ok)
            fprintf(stderr, "FAIL job %d: status %d/%d (%s%s), logits[0] %g vs %g\n", i, sequential[i].status,
                    concurrent[i].status, sequential[i].error, concurrent[i].error, sequential[i].logits[0],
                    concurrent[i].logits[0]);
    }
    int differ = memcmp(sequential[0].logits, sequential[1].logits, sizeof sequential[0].logits) != 0;
    differ ? passed++ : failed++;
    shared_handles(&sequential[1]) ? passed++ : failed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
