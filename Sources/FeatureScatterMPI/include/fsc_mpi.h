/*
 * fsc_mpi.h — the few MPI calls FeatureScatter makes, behind plain C types.
 *
 * libFeatureScatterMPI.so is the only part of FeatureScatter linked with libmpi. The engine
 * loads it with dlopen when a run asks for MPI, so libfeaturescatter.so and fscatter load and
 * run on machines without Open MPI. MPI handles cross as Fortran integers (MPI_Comm_c2f), the
 * one portable way a host passes its own communicator.
 *
 * Every function returns 0 on success, FSC_MPI_TIMEOUT when a collective did not finish
 * within its deadline, or an MPI error code (fsc_mpi_error_string describes it). Collectives
 * are non-blocking MPI-3 calls completed by polling MPI_Test until the deadline, so a dead
 * rank never hangs the others.
 */
#ifndef FSC_MPI_H
#define FSC_MPI_H

#include <stddef.h>
#include <stdint.h>

#define FSC_MPI_TIMEOUT (-2)
#define FSC_MPI_TOO_LARGE (-3)
#define FSC_MPI_NOT_INITIALIZED (-4)

/* Initialises MPI (thread level MPI_THREAD_SERIALIZED) unless the host already has.
   [out] initialized_here: 1 when this call initialised MPI (fsc_mpi_finalize then ends it). */
int fsc_mpi_init(int *initialized_here);
int fsc_mpi_finalize(void);

/* MPI_COMM_WORLD as a Fortran handle. */
int64_t fsc_mpi_world(void);

/* A duplicate of the communicator with Fortran handle `handle` (so our traffic never mixes
   with the host's). [out] comm: free with fsc_mpi_comm_free. FSC_MPI_NOT_INITIALIZED before
   MPI_Init or after MPI_Finalize (where Open MPI would abort the process). */
int fsc_mpi_comm_dup(int64_t handle, void **comm);
void fsc_mpi_comm_free(void *comm);
int fsc_mpi_rank_size(void *comm, int *rank, int *size);

/* In-place sum of `count` floats over ranks. */
int fsc_mpi_allreduce_sum(void *comm, float *values, int64_t count, double timeout_seconds);
/* In-place sum of `count` doubles over ranks. */
int fsc_mpi_allreduce_sum_double(void *comm, double *values, int64_t count, double timeout_seconds);
/* Starts the in-place sum; [out] request: complete with fsc_mpi_wait (which frees it). */
int fsc_mpi_iallreduce_sum(void *comm, float *values, int64_t count, void **request);
int fsc_mpi_wait(void *request, double timeout_seconds);

/* Every rank's `bytes` bytes of `send`: [out] counts: one length per rank, then (second call,
   with receive non-NULL) the data in rank order. Call with receive NULL to learn the counts. */
int fsc_mpi_allgather_counts(void *comm, int64_t bytes, int64_t *counts, double timeout_seconds);
int fsc_mpi_allgatherv(void *comm, const void *send, int64_t bytes, void *receive, const int64_t *counts,
                       double timeout_seconds);

int fsc_mpi_broadcast(void *comm, void *buffer, int64_t bytes, int root, double timeout_seconds);
int fsc_mpi_barrier(void *comm, double timeout_seconds);

/* Ends every process of the job (MPI_Abort). */
void fsc_mpi_abort(void *comm, int code);

/* A description of `code` into buffer (NUL-terminated, at most `capacity` bytes). */
void fsc_mpi_error_string(int code, char *buffer, int capacity);

#endif /* FSC_MPI_H */
