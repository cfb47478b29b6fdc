/* train_mpi.c — data-parallel feature-scattering training and distributed evaluation from a C host
   that uses MPI itself: the host's communicator is handed to FeatureScatter.

   Build:  mpicc train_mpi.c $(pkg-config --cflags --libs featurescatter) -o train_mpi
   Run:    mpirun -np 2 ./train_mpi [train_images] [epochs] [checkpoint]
           (defaults: 2000, 1, smallcnn-mpi.fsc; rank 0 prints and writes) */
#include <featurescatter.h>
#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(int rank, const char *what) {
    fprintf(stderr, "rank %d: %s failed: %s\n", rank, what, fsc_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int64_t limit = argc > 1 ? atoll(argv[1]) : 2000;
    int32_t epochs = argc > 2 ? atoi(argv[2]) : 1;
    const char *checkpoint = argc > 3 ? argv[3] : "smallcnn-mpi.fsc";

    fsc_communicator *ranks = NULL;
    if (fsc_communicator_from_mpi((int64_t)MPI_Comm_c2f(MPI_COMM_WORLD), &ranks) != FSC_OK)
        return fail(rank, "fsc_communicator_from_mpi");
    fsc_dataset *train = NULL, *test = NULL;
    if (fsc_dataset_load("fashion-mnist", NULL, FSC_SPLIT_TRAIN, limit, &train) != FSC_OK) return fail(rank, "loading");
    if (fsc_dataset_load("fashion-mnist", NULL, FSC_SPLIT_TEST, 500, &test) != FSC_OK) return fail(rank, "loading");

    const int64_t input_shape[3] = {1, 28, 28};
    fsc_model *model = NULL;
    if (fsc_model_create("smallcnn", input_shape, 10, 0, &model) != FSC_OK) return fail(rank, "fsc_model_create");
    fsc_trainer_config config;
    fsc_trainer_config_default(&config); /* feature scattering, eps 0.1; batch 128 is the global batch */
    config.epochs = epochs;
    config.communicator = ranks;         /* OT over the global batch (config.ot_scope) */
    fsc_trainer *trainer = NULL;
    if (fsc_trainer_create(model, &config, &trainer) != FSC_OK) return fail(rank, "fsc_trainer_create");
    double accuracy = 0;
    if (fsc_trainer_train(trainer, train, test, NULL, NULL, NULL, &accuracy) != FSC_OK) return fail(rank, "training");

    fsc_eval_config evaluation;
    fsc_eval_config_default(&evaluation);
    evaluation.attacks = "pgd10";
    evaluation.limit = 200;
    evaluation.communicator = ranks;     /* each rank attacks its share of the batches */
    fsc_report *report = NULL;
    if (fsc_evaluate(model, test, &evaluation, &report) != FSC_OK) return fail(rank, "fsc_evaluate");
    double clean = 0, pgd = 0;
    fsc_report_accuracy(report, "clean", &clean);
    fsc_report_accuracy(report, "pgd10", &pgd);
    if (rank == 0) {
        printf("%d ranks: test accuracy %.2f%%; on 200 images clean %.2f%%, PGD-10 %.2f%%\n", size, accuracy, clean,
               pgd);
        if (fsc_model_save_checkpoint(model, checkpoint) != FSC_OK) return fail(rank, "saving");
        printf("checkpoint: %s\n", checkpoint);
    }
    fsc_report_free(report);
    fsc_trainer_free(trainer);
    fsc_model_free(model);
    fsc_dataset_free(train);
    fsc_dataset_free(test);
    fsc_communicator_free(ranks);
    MPI_Finalize();
    return 0;
}
