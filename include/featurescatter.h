/*
 * featurescatter.h — the C interface of FeatureScatter.
 *
 * Feature-scattering adversarial training (Zhang & Wang, NeurIPS 2019), the baselines it is
 * compared with, and optimal-transport solvers, behind a stable C ABI. Link with
 * `cc app.c $(pkg-config --cflags --libs featurescatter)`.
 *
 * Conventions
 * - Every fallible call returns an fsc_status, FSC_OK = 0 on success; results go to out-parameters.
 *   On failure fsc_last_error() describes what went wrong.
 * - Objects are opaque handles created by fsc_<object>_create/_load and released by
 *   fsc_<object>_free; fsc_<object>_free(NULL) does nothing. A freed or foreign handle is
 *   detected and refused with FSC_ERR_INVALID_ARGUMENT.
 * - Buffers are owned by the caller and only read or written during the call. Images are
 *   NCHW float32 in [0, 1]; shapes are int64_t arrays with an explicit rank; element counts
 *   are checked against the shapes.
 * - Config structs are filled by fsc_<object>_config_default() and carry struct_size as
 *   their first field, so fields can be appended in later minor versions.
 * - Threads: handles may be used from several threads. Calls on one model (directly, or
 *   through its trainers) run one at a time, the others waiting; other handles are independent.
 *   A handle freed while a call on another thread uses it stays alive until that call returns.
 * - Every argument is validated before the engine is called: no input can abort the host.
 */
#ifndef FEATURESCATTER_H
#define FEATURESCATTER_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define FSC_API __attribute__((visibility("default")))
#else
#define FSC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== Version */

#define FSC_VERSION_MAJOR 0
#define FSC_VERSION_MINOR 3
#define FSC_VERSION_PATCH 0

/* The library's version as "major.minor.patch"; compare with the FSC_VERSION_* macros to
   check that header and library match. Static string, never freed. */
FSC_API const char *fsc_version(void);

/* ======================================================================== Errors */

typedef enum fsc_status {
    FSC_OK = 0,                    /* success */
    FSC_ERR_INVALID_ARGUMENT = 1,  /* NULL pointer, out-of-range value, bad enum, dead handle */
    FSC_ERR_SHAPE = 2,             /* a shape or element count does not fit */
    FSC_ERR_NOT_FINITE = 3,        /* NaN or infinity where finite values are required */
    FSC_ERR_IO = 4,                /* missing, unreadable or corrupt file */
    FSC_ERR_ONNX = 5,              /* ONNX model could not be parsed, checked or converted */
    FSC_ERR_CANCELLED = 6,         /* the progress callback asked to stop */
    FSC_ERR_INTERNAL = 7           /* a bug in FeatureScatter; please report it */
} fsc_status;

/* The name of a status ("FSC_OK", "FSC_ERR_SHAPE", ...). Static string. */
FSC_API const char *fsc_status_string(fsc_status status);

/* The message of the last failed call on this thread ("" if none). Owned by the library,
   valid until the next fsc_ call on the same thread. */
FSC_API const char *fsc_last_error(void);

/* ======================================================================== Library */

/* The OpenBLAS kernel set in use ("Haswell", "SkylakeX", ...). Static string. The core is
   chosen when OpenBLAS loads: set OPENBLAS_CORETYPE before loading this library to pick one. */
FSC_API const char *fsc_blas_core(void);

/* [out] threads: worker threads the engine uses. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_get_threads(int32_t *threads);

/* Sets the worker threads (1..1024) for every handle. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_set_threads(int32_t threads);

/* ======================================================================== Communicators */

/* The processes of one run (data-parallel training and distributed evaluation over MPI).
   Constructor: fsc_communicator_from_mpi. Destructor: fsc_communicator_free.
   Lifecycle: 1. the host initialises MPI  2. wrap its communicator  3. pass it in fsc_trainer_config
   or fsc_eval_config on every rank  4. free it (on every rank) before MPI_Finalize.
   MPI is loaded only here: libFeatureScatterMPI.so (installed next to this library, or named by
   $FEATURESCATTER_MPI_LIBRARY) is opened on the first call; nothing else needs libmpi. */
typedef struct fsc_communicator fsc_communicator;

/* Wraps the host's MPI communicator, given as its Fortran handle: MPI_Comm_c2f(comm) in C, comm.py2f()
   with mpi4py. FeatureScatter works on a duplicate (MPI_Comm_dup), so its traffic never mixes with the
   host's. Collective: every rank of the communicator calls it. Collectives time out after
   $FEATURESCATTER_MPI_TIMEOUT seconds (default 300) with FSC_ERR_IO instead of hanging.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_IO (MPI not available or not initialised). */
FSC_API fsc_status fsc_communicator_from_mpi(int64_t fortran_handle, fsc_communicator **communicator);

/* [out] rank, size (either may be NULL). Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_communicator_info(const fsc_communicator *communicator, int32_t *rank, int32_t *size);

/* Collective, like MPI_Comm_free. */
FSC_API void fsc_communicator_free(fsc_communicator *communicator);

/* ======================================================================== Datasets */

/* A labelled image set held in memory.
   Constructors: fsc_dataset_load, fsc_dataset_from_memory. Destructor: fsc_dataset_free.
   Lifecycle: 1. load or copy in  2. pass to fsc_trainer_train / fsc_model_accuracy  3. free. */
typedef struct fsc_dataset fsc_dataset;

typedef enum fsc_split { FSC_SPLIT_TRAIN = 0, FSC_SPLIT_TEST = 1 } fsc_split;

/* Loads a data set by name: "fashion-mnist" (path NULL = /usr/share/datasets/fashion-mnist),
   "mnist" (IDX folder), "cifar10"/"cifar100" (binary batches folder), "svhn" (folder of the
   official train_32x32.mat and test_32x32.mat), "svhn-extra" (the same, with extra_32x32.mat
   added to the train split) or "npz" (path = file).
   [in] limit: keep the first `limit` examples (0 = all). [out] dataset: the new handle.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_IO, FSC_ERR_SHAPE. */
FSC_API fsc_status fsc_dataset_load(const char *name, const char *path, fsc_split split, int64_t limit,
                                    fsc_dataset **dataset);

/* Copies caller memory into a data set. [in] images: shape[0]*shape[1]*shape[2]*shape[3]
   floats in [0,1], NCHW; shape: 4 dims; labels: shape[0] values in [0, classes).
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_SHAPE, FSC_ERR_NOT_FINITE. */
FSC_API fsc_status fsc_dataset_from_memory(const float *images, const int64_t *shape, size_t rank,
                                           const int32_t *labels, size_t label_count, int32_t classes,
                                           fsc_dataset **dataset);

/* [out] count: examples; image_shape: 3 values C, H, W; classes (any out pointer may be NULL).
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_dataset_info(const fsc_dataset *dataset, int64_t *count, int64_t *image_shape,
                                    int32_t *classes);

/* Copies examples [first, first+n) into caller buffers. [out] images: n*C*H*W floats;
   labels: n values. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_SHAPE. */
FSC_API fsc_status fsc_dataset_copy(const fsc_dataset *dataset, int64_t first, int64_t n, float *images,
                                    size_t image_count, int32_t *labels, size_t label_count);

FSC_API void fsc_dataset_free(fsc_dataset *dataset);

/* ======================================================================== Models */

/* A classifier: logits from NCHW images in [0, 1].
   Constructors: fsc_model_create, fsc_model_load_checkpoint, fsc_model_load_onnx,
   fsc_model_from_onnx_bytes. Destructor: fsc_model_free.
   Lifecycle: 1. create or load  2. train (fsc_trainer_*) / fsc_model_forward ...
   3. fsc_model_save_checkpoint  4. free (after every trainer using it). */
typedef struct fsc_model fsc_model;

/* Builds a built-in architecture: "smallcnn", "mlp", "preactresnet18" or "wrn-D-W".
   [in] input_shape: C, H, W; seed fixes the initial weights.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_model_create(const char *architecture, const int64_t *input_shape, int32_t classes,
                                    uint64_t seed, fsc_model **model);

/* Builds a preset's model (see fsc_trainer_config_preset): its architecture behind its input
   normalisation (the paper presets: (x - 0.5) / 0.5, so images stay in [0, 1] for the attacks).
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_model_create_preset(const char *preset, const int64_t *input_shape, int32_t classes,
                                           uint64_t seed, fsc_model **model);

/* Loads a checkpoint written by fscatter or fsc_model_save_checkpoint.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_IO, FSC_ERR_SHAPE. */
FSC_API fsc_status fsc_model_load_checkpoint(const char *path, fsc_model **model);

/* Imports an ONNX classifier: [N, C, H, W] images in [0, 1] in, [N, K] logits out (opsets 1-18;
   external data only inside the file's folder). Float initializers become trainable parameters,
   so the model trains, attacks and exports like a built-in one.
   [in] image_shape: C, H, W, or NULL to read them from the graph's input.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_IO, FSC_ERR_ONNX, FSC_ERR_SHAPE. */
FSC_API fsc_status fsc_model_load_onnx(const char *path, const int64_t *image_shape, fsc_model **model);

/* Like fsc_model_load_onnx, from a serialised ModelProto of `size` bytes (external data refused). */
FSC_API fsc_status fsc_model_from_onnx_bytes(const uint8_t *bytes, size_t size, const int64_t *image_shape,
                                             fsc_model **model);

/* Exports the model as ONNX (batch-norm in inference form, a symbolic batch dimension),
   checked by the ONNX checker and shape inference, written atomically to path.
   [in] opset: 13..17, or 0 for 17. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_IO, FSC_ERR_ONNX. */
FSC_API fsc_status fsc_model_save_onnx(const fsc_model *model, const char *path, int32_t opset);

/* The export of fsc_model_save_onnx as bytes. [out] size: the model's size in bytes, always set;
   buffer: receives the model when capacity >= *size (call with buffer NULL, capacity 0 to ask
   the size first). Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_ONNX, FSC_ERR_SHAPE
   (capacity too small; *size tells what is needed). */
FSC_API fsc_status fsc_model_to_onnx_bytes(const fsc_model *model, int32_t opset, uint8_t *buffer, size_t capacity,
                                           size_t *size);

/* Writes the model's parameters and buffers atomically to path (an imported ONNX model's
   graph is embedded, so the checkpoint alone restores it).
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_IO. */
FSC_API fsc_status fsc_model_save_checkpoint(const fsc_model *model, const char *path);

/* [out] count: trainable scalars. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_model_parameter_count(const fsc_model *model, int64_t *count);

/* [out] input_shape: C, H, W; classes (either may be NULL). Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_model_info(const fsc_model *model, int64_t *input_shape, int32_t *classes);

/* Runs the model in inference mode (batch-norm running statistics, no dropout).
   [in] x: n*C*H*W floats, shape = {n, C, H, W}, rank 4. [out] logits: n*classes floats.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_SHAPE, FSC_ERR_NOT_FINITE. */
FSC_API fsc_status fsc_model_forward(fsc_model *model, const float *x, const int64_t *shape, size_t rank,
                                     float *logits, size_t logit_count);

/* Like fsc_model_forward, returning the arg-max class per image. [out] labels: n values. */
FSC_API fsc_status fsc_model_predict(fsc_model *model, const float *x, const int64_t *shape, size_t rank,
                                     int32_t *labels, size_t label_count);

/* [out] percent: clean accuracy on the data set. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_SHAPE. */
FSC_API fsc_status fsc_model_accuracy(fsc_model *model, const fsc_dataset *dataset, double *percent);

FSC_API void fsc_model_free(fsc_model *model);

/* ======================================================================== Optimal transport */

typedef enum fsc_ot_solver {
    FSC_OT_SINKHORN = 0,          /* automatic: log domain or the stabilised fast path */
    FSC_OT_SINKHORN_LOG = 1,      /* log-domain Sinkhorn */
    FSC_OT_SINKHORN_SCALING = 2,  /* scaling-domain Sinkhorn with absorption */
    FSC_OT_IPOT = 3,              /* inexact proximal point (Xie et al. 2018) */
    FSC_OT_EXACT = 4,             /* exact OT (assignment / successive shortest paths) */
    FSC_OT_SINKHORN_REFERENCE = 5 /* the paper's reference code's Sinkhorn: rows first, log(sum exp + 1e-6),
                                     stops when the row potential moves < 0.1 in L1; ignores tolerance */
} fsc_ot_solver;

typedef enum fsc_ot_matching {
    FSC_MATCHING_OT = 0,          /* the solver's plan */
    FSC_MATCHING_UNIFORM = 1,     /* every pair 1/(n m) */
    FSC_MATCHING_IDENTITY = 2     /* T = I/n, needs n == m */
} fsc_ot_matching;

typedef enum fsc_cost {
    FSC_COST_COSINE = 0,          /* max(0, 1 - cos(x_i, y_j)), the paper's */
    FSC_COST_SQEUCLIDEAN = 1,
    FSC_COST_EUCLIDEAN = 2
} fsc_cost;

typedef enum fsc_grad_mode {
    FSC_GRAD_UNROLLED = 0,        /* reverse mode through the solver's iterations (reference) */
    FSC_GRAD_ENVELOPE = 1         /* plan held fixed: dD/dC = T */
} fsc_grad_mode;

typedef struct fsc_ot_config {
    size_t struct_size;           /* sizeof(fsc_ot_config) */
    fsc_ot_solver solver;         /* default FSC_OT_SINKHORN */
    fsc_ot_matching matching;     /* default FSC_MATCHING_OT */
    double regularization;        /* entropic epsilon, > 0; default 0.01 */
    int32_t max_iterations;       /* >= 1; default 100 */
    double tolerance;             /* marginal violation to stop at; 0 = run max_iterations; default 1e-9 */
    double ipot_beta;             /* IPOT proximal parameter, > 0; default 1 */
    int32_t ipot_inner;           /* IPOT inner iterations, >= 1; default 1 */
    int32_t epsilon_scaling;      /* 1 = warm-start Sinkhorn by epsilon scaling; default 0 */
} fsc_ot_config;

typedef struct fsc_ot_report {
    size_t struct_size;           /* set by the caller: sizeof(fsc_ot_report) */
    double transport_cost;        /* <T, C> */
    double entropic_objective;    /* <T, C> - reg * H(T) */
    double marginal_error;        /* final marginal violation */
    int32_t iterations;           /* iterations run */
    int32_t converged;            /* 1 if the tolerance was reached */
} fsc_ot_report;

/* Fills config with the defaults above. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_ot_config_default(fsc_ot_config *config);

/* Solves OT for a cost matrix. [in] cost: n*m floats, finite; a, b: marginals of n and m
   non-negative values summing to 1, or NULL for uniform. [out] plan: n*m floats or NULL;
   report: may be NULL. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_NOT_FINITE, FSC_ERR_SHAPE. */
FSC_API fsc_status fsc_ot_solve(const float *cost, int64_t n, int64_t m, const float *a, const float *b,
                                const fsc_ot_config *config, float *plan, fsc_ot_report *report);

/* The OT distance D = <T, C(X, Y)> between feature sets X (n*d) and Y (m*d) with uniform
   marginals, and optionally its gradient. [out] distance; grad_x: n*d floats or NULL;
   grad_y: m*d floats or NULL; report: may be NULL.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_NOT_FINITE. */
FSC_API fsc_status fsc_ot_distance(const float *x, int64_t n, const float *y, int64_t m, int64_t d,
                                   fsc_cost cost, const fsc_ot_config *config, fsc_grad_mode grad_mode,
                                   double *distance, float *grad_x, float *grad_y, fsc_ot_report *report);

/* ======================================================================== Attacks */

typedef enum fsc_norm {
    FSC_NORM_LINF = 0,            /* max |x' - x| <= epsilon */
    FSC_NORM_L2 = 1               /* ||x' - x||_2 <= epsilon per image (FGSM, PGD, CW, APGD, noise) */
} fsc_norm;

typedef enum fsc_attack_kind {
    FSC_ATTACK_FGSM = 0,          /* one signed-gradient step of cross-entropy */
    FSC_ATTACK_PGD = 1,           /* PGD-k on cross-entropy from a random start */
    FSC_ATTACK_CW = 2,            /* PGD-k on the CW margin max(z_y - max_{j!=y} z_j + kappa, 0) */
    FSC_ATTACK_APGD_CE = 3,       /* APGD on cross-entropy (Croce & Hein 2020) */
    FSC_ATTACK_APGD_DLR = 4,      /* APGD on the DLR loss */
    FSC_ATTACK_APGD_T = 5,        /* APGD, targeted DLR over the top 9 other classes (needs >= 4 classes) */
    FSC_ATTACK_SQUARE = 6,        /* Square, score-based, L-inf only */
    FSC_ATTACK_NOISE = 7          /* uniform noise in the ball (a baseline) */
} fsc_attack_kind;

typedef enum fsc_attack_target {
    FSC_TARGET_NONE = 0,          /* untargeted: any wrong class */
    FSC_TARGET_LEAST_LIKELY = 1,  /* the clean image's least likely class (PGD and CW only) */
    FSC_TARGET_RANDOM = 2         /* a random other class (PGD and CW only) */
} fsc_attack_target;

typedef struct fsc_attack_config {
    size_t struct_size;           /* sizeof(fsc_attack_config) */
    fsc_attack_kind kind;         /* default FSC_ATTACK_PGD */
    fsc_norm norm;                /* default FSC_NORM_LINF */
    float epsilon;                /* radius in [0,1] pixel units (L2: per image); default 0.1 */
    int32_t steps;                /* 0 = kind default: PGD/CW 20, APGD 100; unused by FGSM, Square, noise */
    float step_size;              /* 0 = kind default: PGD/CW eps/4, FGSM eps; unused by APGD (adaptive) */
    int32_t random_start;         /* -1 = kind default (PGD/CW 1, FGSM 0); PGD, CW and FGSM only */
    int32_t restarts;             /* >= 1; default 1 */
    int32_t queries;              /* Square's query budget; default 5000 */
    float kappa;                  /* CW confidence; default 50 */
    fsc_attack_target target;     /* default FSC_TARGET_NONE */
    uint64_t seed;                /* fixes every random choice; default 0 */
} fsc_attack_config;

/* Fills config with the defaults above. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_attack_config_default(fsc_attack_config *config);

/* Attacks a caller batch with the model in inference mode (nothing in the model changes).
   [in] images: n*C*H*W floats in [0,1], shape {n, C, H, W}; labels: n true classes.
   [out] adversarial: n*C*H*W floats, inside the ball around images and inside [0,1].
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_SHAPE, FSC_ERR_NOT_FINITE. */
FSC_API fsc_status fsc_attack_run(fsc_model *model, const fsc_attack_config *config, const float *images,
                                  const int64_t *shape, size_t rank, const int32_t *labels, size_t label_count,
                                  float *adversarial, size_t adversarial_count);

/* ======================================================================== Evaluation */

/* The result of fsc_evaluate: accuracies and the full JSON report (every attack's settings,
   the per-example worst case, gradient-masking checks), as `fscatter eval --out` writes it.
   Constructor: fsc_evaluate. Destructor: fsc_report_free. */
typedef struct fsc_report fsc_report;

typedef struct fsc_eval_config {
    size_t struct_size;           /* sizeof(fsc_eval_config) */
    fsc_norm norm;                /* default FSC_NORM_LINF */
    float epsilon;                /* default 0.1 */
    const char *attacks;          /* comma-separated names as in `fscatter eval --attacks`: fgsm, fgsm-rs,
                                     pgd<k>, cw<k>, apgd-ce, apgd-dlr, apgd-t, square[<queries>], noise,
                                     or the suites paper and autoattack; each runs on every correctly
                                     classified image; default "fgsm,pgd20,cw20,apgd-ce"; the caller
                                     keeps the string alive */
    const char *worst_case;       /* further attacks run after `attacks`, only on images still robust,
                                     for the per-example worst case ("autoattack" = apgd-ce, apgd-t and,
                                     under L-inf, square); none run when `attacks` is empty;
                                     NULL or "" = none; default NULL */
    int64_t limit;                /* evaluate the first `limit` examples, 0 = all; default 1000 */
    int32_t batch_size;           /* images per attack batch; default 250 */
    uint64_t seed;                /* default 0 */
    /* 0.3 */
    const fsc_communicator *communicator; /* NULL = this process alone; else every rank calls
                                     fsc_evaluate with the same data and config, attacks its share of
                                     the batches, and receives the same report; default NULL */
} fsc_eval_config;

/* Fills config with the defaults above. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT.
   Config structs filled by an older header's default function (a smaller struct_size) are accepted:
   the fields they lack take their defaults. */
FSC_API fsc_status fsc_eval_config_default(fsc_eval_config *config);

/* Clean accuracy, accuracy under each attack and the per-example worst case on a data set.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT (unknown attack name), FSC_ERR_SHAPE, FSC_ERR_NOT_FINITE. */
FSC_API fsc_status fsc_evaluate(fsc_model *model, const fsc_dataset *dataset, const fsc_eval_config *config,
                                fsc_report **report);

/* [out] percent: accuracy under `name` ("clean", "worst_case" or an attack name as given).
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT (NULL, or no such entry). */
FSC_API fsc_status fsc_report_accuracy(const fsc_report *report, const char *name, double *percent);

/* The report as JSON text. [out] length: bytes of the text without its NUL, always set;
   buffer: receives the NUL-terminated text when capacity > *length.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_SHAPE (capacity too small). */
FSC_API fsc_status fsc_report_json(const fsc_report *report, char *buffer, size_t capacity, size_t *length);

FSC_API void fsc_report_free(fsc_report *report);

/* ======================================================================== Loss surfaces */

/* The loss around one image on the plane of the paper's Figure 4: at grid point (a, b),
       L(a, b) = CE(f(clamp(x + a * d_adv + b * d_rad, 0, 1)), y)
   with d_adv = sign(dCE(f(x), y)/dx) (0 where the gradient is 0), d_rad a Rademacher vector
   (each entry -1 or +1, from `seed`), CE the natural-log cross-entropy of the true label and f
   the model in inference mode. a and b take the same `points` values on both axes,
   axis[k] = extent * epsilon * (2k / (points - 1) - 1), in pixel units; the middle one is 0. */
typedef struct fsc_loss_surface_config {
    size_t struct_size;           /* sizeof(fsc_loss_surface_config) */
    float epsilon;                /* the grid's unit in [0,1] pixel units, in (0, 1]; default 0.1 */
    int32_t points;               /* grid points per axis, odd, 3..1001; default 41 */
    float extent;                 /* half-width of the grid in units of epsilon, > 0; default 2 */
    int32_t batch_size;           /* grid points per forward pass, >= 1; default 256 */
    uint64_t seed;                /* fixes the Rademacher direction; default 0 */
    int32_t clip;                 /* 1 = clamp every grid point to [0,1], 0 = do not; default 1 */
} fsc_loss_surface_config;

/* Fills config with the defaults above. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_loss_surface_config_default(fsc_loss_surface_config *config);

/* Computes a loss surface; the model does not change.
   [in] image: C*H*W floats in [0,1], shape {1, C, H, W}, rank 4; label: its true class.
   [out] losses: points*points floats, row-major: losses[i*points + j] = L(axis[i], axis[j]), i along
   d_adv, j along d_rad (loss_count must be points*points).
   axis: points floats, or NULL with axis_count 0.
   directions: d_adv then d_rad, 2*C*H*W floats, or NULL with direction_count 0.
   Thread: one thread per model at a time.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT (NULL, a setting out of range, a pixel outside [0,1], a
   label outside the model's classes), FSC_ERR_SHAPE, FSC_ERR_NOT_FINITE (NaN pixels, or a loss that
   is not finite). */
FSC_API fsc_status fsc_loss_surface(fsc_model *model, const fsc_loss_surface_config *config, const float *image,
                                    const int64_t *shape, size_t rank, int32_t label, float *losses,
                                    size_t loss_count, float *axis, size_t axis_count, float *directions,
                                    size_t direction_count);

/* ======================================================================== Training */

typedef enum fsc_ot_scope {
    FSC_OT_SCOPE_GLOBAL = 0,      /* the global batch (the logits of every rank are gathered) */
    FSC_OT_SCOPE_LOCAL = 1        /* each rank's rows, as the reference code under DataParallel */
} fsc_ot_scope;

typedef enum fsc_method {
    FSC_METHOD_STANDARD = 0,            /* cross-entropy on clean images */
    FSC_METHOD_MADRY = 1,               /* PGD-k adversarial training */
    FSC_METHOD_FEATURE_SCATTERING = 2,  /* the paper's method */
    FSC_METHOD_RANDOM = 3,              /* ablation: uniform noise in the ball */
    FSC_METHOD_SUPERVISED = 4,          /* ablation: labelled ascent with the scattering budget */
    FSC_METHOD_TRADES = 5,              /* TRADES (beta-weighted KL) */
    FSC_METHOD_BILATERAL = 6            /* 0.4: Bilateral Adversarial Training (one-step attack toward the
                                           most confusing class, adversarial labels) */
} fsc_method;

typedef struct fsc_trainer_config {
    size_t struct_size;           /* sizeof(fsc_trainer_config) */
    fsc_method method;            /* default FSC_METHOD_FEATURE_SCATTERING */
    float epsilon;                /* L-inf budget in [0,1] pixel units; default 0.1 */
    int32_t attack_steps;         /* perturbation steps, <= 10000; 0 = method default (madry 7, trades 10, else 1) */
    float attack_step_size;       /* 0 = method default (madry/trades eps/4, else eps) */
    float label_smoothing;        /* delta in [0,1); < 0 = method default (0.5 scattering/random/supervised, else 0);
                                     bilateral: 0 or < 0 (its adversarial labels replace smoothing) */
    fsc_ot_config ot;             /* feature scattering's OT: defaults reg 0.01, 100 iterations */
    fsc_cost cost;                /* feature scattering's ground cost; default FSC_COST_COSINE */
    fsc_grad_mode grad_mode;      /* default FSC_GRAD_UNROLLED */
    float trades_beta;            /* default 6 */
    int32_t epochs;               /* default 10 */
    int32_t batch_size;           /* default 128 */
    float learning_rate;          /* default 0.05 */
    float momentum;               /* default 0.9 */
    float weight_decay;           /* default 2e-4 */
    int32_t decay_epochs[4];      /* lr x0.1 at these epochs (each >= 1); 0 = unused; default {60, 90, 0, 0} */
    uint64_t seed;                /* fixes data order and all randomness; default 0 */
    int32_t nesterov;             /* 1 = Nesterov momentum; default 0 */
    int32_t cosine_schedule;      /* 1 = cosine annealing over epochs; default 0 */
    /* 0.3 */
    const fsc_communicator *communicator; /* NULL = this process alone; else data-parallel over its
                                     ranks: every rank creates the trainer (rank 0's parameters are
                                     broadcast; the ranks must agree on the run) and trains with the
                                     same data; batch_size is the global batch; default NULL */
    fsc_ot_scope ot_scope;        /* feature scattering over several ranks: the OT problem spans the
                                     global batch or each rank's rows; default FSC_OT_SCOPE_GLOBAL */
    double bucket_megabytes;      /* gradient all-reduce bucket size in MiB, > 0; default 25 */
    int32_t sync_batchnorm;       /* 1 = batch norm uses the global batch's moments over the ranks
                                     (SyncBN); default 0 (each rank's rows) */
    /* 0.4 */
    int32_t crop_padding;         /* random crops of the padded image, in pixels, >= 0; default 0 (off) */
    int32_t horizontal_flip;      /* 1 = random horizontal flips; default 0 */
    float bilateral_beta;         /* bilateral: the adversarial label keeps the true class beta times the
                                     largest wrong class, > 0; 0 = method default (9) */
} fsc_trainer_config;

typedef struct fsc_progress {
    size_t struct_size;           /* sizeof(fsc_progress) as the library knows it */
    int32_t epoch, epochs;        /* 1-based epoch of total */
    int64_t batch, batches;       /* 1-based batch of this epoch */
    double loss;                  /* mean training loss so far this epoch */
    double accuracy;              /* training accuracy so far this epoch, percent */
    double images_per_second;
    double seconds_remaining;     /* estimate for the whole run */
} fsc_progress;

/* Called after every batch; return 0 to continue, non-zero to cancel (FSC_ERR_CANCELLED). */
typedef int (*fsc_progress_fn)(const fsc_progress *progress, void *user);

/* A training run of one model with one method.
   Constructor: fsc_trainer_create. Destructor: fsc_trainer_free.
   Lifecycle: 1. fsc_trainer_config_default, adjust  2. create on a model  3. fsc_trainer_train
   (whole epochs) or fsc_trainer_step (a host-owned loop)  4. free; the model keeps the weights. */
typedef struct fsc_trainer fsc_trainer;

/* Fills config with the defaults above. Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_trainer_config_default(fsc_trainer_config *config);

/* Fills config with a named recipe (the paper's: "paper-cifar10-fs", "paper-cifar100-madry",
   "paper-svhn-standard", ...; "fmnist-smallcnn-fs", ...; the list is in docs/presets.md) and names
   the data set (for fsc_dataset_load) and the architecture it trains. Create the model with
   fsc_model_create_preset, which adds the preset's input normalisation.
   [out] dataset, architecture: static strings, or NULL to skip.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT (an unknown name; the message lists the known). */
FSC_API fsc_status fsc_trainer_config_preset(const char *name, fsc_trainer_config *config, const char **dataset,
                                             const char **architecture);

/* [in] model: trained in place; must outlive the trainer.
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT. */
FSC_API fsc_status fsc_trainer_create(fsc_model *model, const fsc_trainer_config *config, fsc_trainer **trainer);

/* One optimisation step on a caller batch. [in] images: n*C*H*W floats in [0,1] with
   shape {n, C, H, W}; labels: n values. With a communicator every rank passes its own rows of the
   step's global batch (in rank order) and all ranks take the same step. [out] loss: may be NULL
   (the global batch's mean loss).
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_SHAPE, FSC_ERR_NOT_FINITE. */
FSC_API fsc_status fsc_trainer_step(fsc_trainer *trainer, const float *images, const int64_t *shape, size_t rank,
                                    const int32_t *labels, size_t label_count, float *loss);

/* Trains the configured number of epochs on train; with test non-NULL measures clean
   accuracy after each epoch. [in] out_dir: NULL, or a folder for metrics.jsonl,
   checkpoint.fsc and summary.json. progress: may be NULL. [out] test_accuracy: percent
   after the last epoch (NULL allowed).
   Returns FSC_OK, FSC_ERR_INVALID_ARGUMENT, FSC_ERR_SHAPE, FSC_ERR_NOT_FINITE, FSC_ERR_IO, FSC_ERR_CANCELLED. */
FSC_API fsc_status fsc_trainer_train(fsc_trainer *trainer, const fsc_dataset *train, const fsc_dataset *test,
                                     const char *out_dir, fsc_progress_fn progress, void *user,
                                     double *test_accuracy);

FSC_API void fsc_trainer_free(fsc_trainer *trainer);

#ifdef __cplusplus
}
#endif

#endif /* FEATURESCATTER_H */
