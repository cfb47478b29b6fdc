/* fsc_mpi.c — FeatureScatter's MPI calls over Open MPI (see fsc_mpi.h). */

#include "fsc_mpi.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Completes `request` by polling until `timeout_seconds` have passed; the time is read every
   1024 polls so that a finished collective costs no clock calls. */
static int complete(MPI_Request *request, double timeout_seconds) {
    double deadline = now_seconds() + timeout_seconds;
    for (unsigned polls = 0;; polls++) {
        int done = 0;
        int status = MPI_Test(request, &done, MPI_STATUS_IGNORE);
        if (status != MPI_SUCCESS) return status;
        if (done) return 0;
        if ((polls & 1023) == 1023 && now_seconds() > deadline) return FSC_MPI_TIMEOUT;
    }
}

int fsc_mpi_init(int *initialized_here) {
    int initialized = 0;
    int status = MPI_Initialized(&initialized);
    if (status != MPI_SUCCESS) return status;
    *initialized_here = 0;
    if (initialized) return 0;
    int provided = 0;
    status = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (status != MPI_SUCCESS) return status;
    *initialized_here = 1;
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

int fsc_mpi_finalize(void) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    return finalized ? 0 : MPI_Finalize();
}

int64_t fsc_mpi_world(void) { return (int64_t)MPI_Comm_c2f(MPI_COMM_WORLD); }

int fsc_mpi_comm_dup(int64_t handle, void **comm) {
    /* Open MPI aborts the process on MPI_Comm_f2c before MPI_Init or after MPI_Finalize. */
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (!initialized || finalized) return FSC_MPI_NOT_INITIALIZED;
    MPI_Comm *copy = malloc(sizeof(MPI_Comm));
    if (!copy) return MPI_ERR_NO_MEM;
    int status = MPI_Comm_dup(MPI_Comm_f2c((MPI_Fint)handle), copy);
    if (status != MPI_SUCCESS) {
        free(copy);
        return status;
    }
    MPI_Comm_set_errhandler(*copy, MPI_ERRORS_RETURN);
    *comm = copy;
    return 0;
}

void fsc_mpi_comm_free(void *comm) {
    if (!comm) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free((MPI_Comm *)comm);
    free(comm);
}

int fsc_mpi_rank_size(void *comm, int *rank, int *size) {
    int status = MPI_Comm_rank(*(MPI_Comm *)comm, rank);
    return status != MPI_SUCCESS ? status : MPI_Comm_size(*(MPI_Comm *)comm, size);
}

int fsc_mpi_iallreduce_sum(void *comm, float *values, int64_t count, void **request) {
    if (count > INT_MAX) return FSC_MPI_TOO_LARGE;
    MPI_Request *pending = malloc(sizeof(MPI_Request));
    if (!pending) return MPI_ERR_NO_MEM;
    int status = MPI_Iallreduce(MPI_IN_PLACE, values, (int)count, MPI_FLOAT, MPI_SUM, *(MPI_Comm *)comm, pending);
    if (status != MPI_SUCCESS) {
        free(pending);
        return status;
    }
    *request = pending;
    return 0;
}

int fsc_mpi_wait(void *request, double timeout_seconds) {
    int status = complete((MPI_Request *)request, timeout_seconds);
    free(request);
    return status;
}

int fsc_mpi_allreduce_sum(void *comm, float *values, int64_t count, double timeout_seconds) {
    void *request = NULL;
    int status = fsc_mpi_iallreduce_sum(comm, values, count, &request);
    return status != 0 ? status : fsc_mpi_wait(request, timeout_seconds);
}

int fsc_mpi_allreduce_sum_double(void *comm, double *values, int64_t count, double timeout_seconds) {
    if (count > INT_MAX) return FSC_MPI_TOO_LARGE;
    MPI_Request request;
    int status = MPI_Iallreduce(MPI_IN_PLACE, values, (int)count, MPI_DOUBLE, MPI_SUM, *(MPI_Comm *)comm, &request);
    return status != MPI_SUCCESS ? status : complete(&request, timeout_seconds);
}

int fsc_mpi_allgather_counts(void *comm, int64_t bytes, int64_t *counts, double timeout_seconds) {
    MPI_Request request;
    int status = MPI_Iallgather(&bytes, 1, MPI_INT64_T, counts, 1, MPI_INT64_T, *(MPI_Comm *)comm, &request);
    return status != MPI_SUCCESS ? status : complete(&request, timeout_seconds);
}

int fsc_mpi_allgatherv(void *comm, const void *send, int64_t bytes, void *receive, const int64_t *counts,
                       double timeout_seconds) {
    int size = 0;
    MPI_Comm_size(*(MPI_Comm *)comm, &size);
    int *lengths = malloc(sizeof(int) * (size_t)size), *offsets = malloc(sizeof(int) * (size_t)size);
    if (!lengths || !offsets) {
        free(lengths);
        free(offsets);
        return MPI_ERR_NO_MEM;
    }
    int64_t total = 0;
    for (int r = 0; r < size; r++) {
        lengths[r] = (int)counts[r];
        offsets[r] = (int)total;
        total += counts[r];
    }
    int status = total > INT_MAX || bytes > INT_MAX ? FSC_MPI_TOO_LARGE : 0;
    MPI_Request request;
    if (status == 0) {
        status = MPI_Iallgatherv(send, (int)bytes, MPI_BYTE, receive, lengths, offsets, MPI_BYTE,
                                 *(MPI_Comm *)comm, &request);
        if (status == MPI_SUCCESS) status = complete(&request, timeout_seconds);
    }
    free(lengths);
    free(offsets);
    return status;
}

int fsc_mpi_broadcast(void *comm, void *buffer, int64_t bytes, int root, double timeout_seconds) {
    if (bytes > INT_MAX) return FSC_MPI_TOO_LARGE;
    MPI_Request request;
    int status = MPI_Ibcast(buffer, (int)bytes, MPI_BYTE, root, *(MPI_Comm *)comm, &request);
    return status != MPI_SUCCESS ? status : complete(&request, timeout_seconds);
}

int fsc_mpi_barrier(void *comm, double timeout_seconds) {
    MPI_Request request;
    int status = MPI_Ibarrier(*(MPI_Comm *)comm, &request);
    return status != MPI_SUCCESS ? status : complete(&request, timeout_seconds);
}

void fsc_mpi_abort(void *comm, int code) { MPI_Abort(comm ? *(MPI_Comm *)comm : MPI_COMM_WORLD, code); }

void fsc_mpi_error_string(int code, char *buffer, int capacity) {
    if (capacity <= 0) return;
    if (code == FSC_MPI_TIMEOUT) {
        snprintf(buffer, (size_t)capacity, "timed out (a rank may have died or stalled)");
    } else if (code == FSC_MPI_TOO_LARGE) {
        snprintf(buffer, (size_t)capacity, "message larger than 2^31 elements");
    } else if (code == FSC_MPI_NOT_INITIALIZED) {
        snprintf(buffer, (size_t)capacity, "MPI is not initialised (or already finalised): call MPI_Init first");
    } else {
        char text[MPI_MAX_ERROR_STRING];
        int length = 0;
        if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", code);
        snprintf(buffer, (size_t)capacity, "%s", text);
    }
}
