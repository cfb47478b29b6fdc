//! The raw C ABI of `include/featurescatter.h`: one `extern "C"` declaration per function and
//! `#[repr(C)]` structs with the header's layout. C enums are `c_int`; their values are the
//! constants below. Everything here is `unsafe` to call: see the safe layer in the crate root.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

pub type fsc_status = c_int;
pub const FSC_OK: fsc_status = 0;
pub const FSC_ERR_INVALID_ARGUMENT: fsc_status = 1;
pub const FSC_ERR_SHAPE: fsc_status = 2;
pub const FSC_ERR_NOT_FINITE: fsc_status = 3;
pub const FSC_ERR_IO: fsc_status = 4;
pub const FSC_ERR_ONNX: fsc_status = 5;
pub const FSC_ERR_CANCELLED: fsc_status = 6;
pub const FSC_ERR_INTERNAL: fsc_status = 7;

pub type fsc_split = c_int;
pub type fsc_ot_solver = c_int;
pub type fsc_ot_matching = c_int;
pub type fsc_cost = c_int;
pub type fsc_grad_mode = c_int;
pub type fsc_norm = c_int;
pub type fsc_attack_kind = c_int;
pub type fsc_attack_target = c_int;
pub type fsc_ot_scope = c_int;
pub type fsc_method = c_int;

/// Opaque handles.
#[repr(C)]
pub struct fsc_communicator {
    _private: [u8; 0],
}
#[repr(C)]
pub struct fsc_dataset {
    _private: [u8; 0],
}
#[repr(C)]
pub struct fsc_model {
    _private: [u8; 0],
}
#[repr(C)]
pub struct fsc_report {
    _private: [u8; 0],
}
#[repr(C)]
pub struct fsc_trainer {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fsc_ot_config {
    pub struct_size: usize,
    pub solver: fsc_ot_solver,
    pub matching: fsc_ot_matching,
    pub regularization: f64,
    pub max_iterations: i32,
    pub tolerance: f64,
    pub ipot_beta: f64,
    pub ipot_inner: i32,
    pub epsilon_scaling: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct fsc_ot_report {
    pub struct_size: usize,
    pub transport_cost: f64,
    pub entropic_objective: f64,
    pub marginal_error: f64,
    pub iterations: i32,
    pub converged: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fsc_attack_config {
    pub struct_size: usize,
    pub kind: fsc_attack_kind,
    pub norm: fsc_norm,
    pub epsilon: f32,
    pub steps: i32,
    pub step_size: f32,
    pub random_start: i32,
    pub restarts: i32,
    pub queries: i32,
    pub kappa: f32,
    pub target: fsc_attack_target,
    pub seed: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fsc_eval_config {
    pub struct_size: usize,
    pub norm: fsc_norm,
    pub epsilon: f32,
    pub attacks: *const c_char,
    pub worst_case: *const c_char,
    pub limit: i64,
    pub batch_size: i32,
    pub seed: u64,
    pub communicator: *const fsc_communicator,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fsc_trainer_config {
    pub struct_size: usize,
    pub method: fsc_method,
    pub epsilon: f32,
    pub attack_steps: i32,
    pub attack_step_size: f32,
    pub label_smoothing: f32,
    pub ot: fsc_ot_config,
    pub cost: fsc_cost,
    pub grad_mode: fsc_grad_mode,
    pub trades_beta: f32,
    pub epochs: i32,
    pub batch_size: i32,
    pub learning_rate: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    pub decay_epochs: [i32; 4],
    pub seed: u64,
    pub nesterov: i32,
    pub cosine_schedule: i32,
    pub communicator: *const fsc_communicator,
    pub ot_scope: fsc_ot_scope,
    pub bucket_megabytes: f64,
    pub sync_batchnorm: i32,
    pub crop_padding: i32,
    pub horizontal_flip: i32,
    pub bilateral_beta: f32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fsc_loss_surface_config {
    pub struct_size: usize,
    pub epsilon: f32,
    pub points: i32,
    pub extent: f32,
    pub batch_size: i32,
    pub seed: u64,
    pub clip: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct fsc_progress {
    pub struct_size: usize,
    pub epoch: i32,
    pub epochs: i32,
    pub batch: i64,
    pub batches: i64,
    pub loss: f64,
    pub accuracy: f64,
    pub images_per_second: f64,
    pub seconds_remaining: f64,
}

pub type fsc_progress_fn = Option<unsafe extern "C" fn(progress: *const fsc_progress, user: *mut c_void) -> c_int>;

extern "C" {
    pub fn fsc_version() -> *const c_char;
    pub fn fsc_status_string(status: fsc_status) -> *const c_char;
    pub fn fsc_last_error() -> *const c_char;
    pub fn fsc_blas_core() -> *const c_char;
    pub fn fsc_get_threads(threads: *mut i32) -> fsc_status;
    pub fn fsc_set_threads(threads: i32) -> fsc_status;

    pub fn fsc_communicator_from_mpi(fortran_handle: i64, communicator: *mut *mut fsc_communicator) -> fsc_status;
    pub fn fsc_communicator_info(communicator: *const fsc_communicator, rank: *mut i32, size: *mut i32) -> fsc_status;
    pub fn fsc_communicator_free(communicator: *mut fsc_communicator);

    pub fn fsc_dataset_load(
        name: *const c_char, path: *const c_char, split: fsc_split, limit: i64, dataset: *mut *mut fsc_dataset,
    ) -> fsc_status;
    pub fn fsc_dataset_from_memory(
        images: *const f32, shape: *const i64, rank: usize, labels: *const i32, label_count: usize, classes: i32,
        dataset: *mut *mut fsc_dataset,
    ) -> fsc_status;
    pub fn fsc_dataset_info(
        dataset: *const fsc_dataset, count: *mut i64, image_shape: *mut i64, classes: *mut i32,
    ) -> fsc_status;
    pub fn fsc_dataset_copy(
        dataset: *const fsc_dataset, first: i64, n: i64, images: *mut f32, image_count: usize, labels: *mut i32,
        label_count: usize,
    ) -> fsc_status;
    pub fn fsc_dataset_free(dataset: *mut fsc_dataset);

    pub fn fsc_model_create(
        architecture: *const c_char, input_shape: *const i64, classes: i32, seed: u64, model: *mut *mut fsc_model,
    ) -> fsc_status;
    pub fn fsc_model_create_preset(
        preset: *const c_char, input_shape: *const i64, classes: i32, seed: u64, model: *mut *mut fsc_model,
    ) -> fsc_status;
    pub fn fsc_model_load_checkpoint(path: *const c_char, model: *mut *mut fsc_model) -> fsc_status;
    pub fn fsc_model_load_onnx(path: *const c_char, image_shape: *const i64, model: *mut *mut fsc_model) -> fsc_status;
    pub fn fsc_model_from_onnx_bytes(
        bytes: *const u8, size: usize, image_shape: *const i64, model: *mut *mut fsc_model,
    ) -> fsc_status;
    pub fn fsc_model_save_onnx(model: *const fsc_model, path: *const c_char, opset: i32) -> fsc_status;
    pub fn fsc_model_to_onnx_bytes(
        model: *const fsc_model, opset: i32, buffer: *mut u8, capacity: usize, size: *mut usize,
    ) -> fsc_status;
    pub fn fsc_model_save_checkpoint(model: *const fsc_model, path: *const c_char) -> fsc_status;
    pub fn fsc_model_parameter_count(model: *const fsc_model, count: *mut i64) -> fsc_status;
    pub fn fsc_model_info(model: *const fsc_model, input_shape: *mut i64, classes: *mut i32) -> fsc_status;
    pub fn fsc_model_forward(
        model: *mut fsc_model, x: *const f32, shape: *const i64, rank: usize, logits: *mut f32, logit_count: usize,
    ) -> fsc_status;
    pub fn fsc_model_predict(
        model: *mut fsc_model, x: *const f32, shape: *const i64, rank: usize, labels: *mut i32, label_count: usize,
    ) -> fsc_status;
    pub fn fsc_model_accuracy(model: *mut fsc_model, dataset: *const fsc_dataset, percent: *mut f64) -> fsc_status;
    pub fn fsc_model_free(model: *mut fsc_model);

    pub fn fsc_ot_config_default(config: *mut fsc_ot_config) -> fsc_status;
    pub fn fsc_ot_solve(
        cost: *const f32, n: i64, m: i64, a: *const f32, b: *const f32, config: *const fsc_ot_config, plan: *mut f32,
        report: *mut fsc_ot_report,
    ) -> fsc_status;
    pub fn fsc_ot_distance(
        x: *const f32, n: i64, y: *const f32, m: i64, d: i64, cost: fsc_cost, config: *const fsc_ot_config,
        grad_mode: fsc_grad_mode, distance: *mut f64, grad_x: *mut f32, grad_y: *mut f32, report: *mut fsc_ot_report,
    ) -> fsc_status;

    pub fn fsc_attack_config_default(config: *mut fsc_attack_config) -> fsc_status;
    pub fn fsc_attack_run(
        model: *mut fsc_model, config: *const fsc_attack_config, images: *const f32, shape: *const i64, rank: usize,
        labels: *const i32, label_count: usize, adversarial: *mut f32, adversarial_count: usize,
    ) -> fsc_status;

    pub fn fsc_eval_config_default(config: *mut fsc_eval_config) -> fsc_status;
    pub fn fsc_evaluate(
        model: *mut fsc_model, dataset: *const fsc_dataset, config: *const fsc_eval_config, report: *mut *mut fsc_report,
    ) -> fsc_status;
    pub fn fsc_report_accuracy(report: *const fsc_report, name: *const c_char, percent: *mut f64) -> fsc_status;
    pub fn fsc_report_json(report: *const fsc_report, buffer: *mut c_char, capacity: usize, length: *mut usize)
        -> fsc_status;
    pub fn fsc_report_free(report: *mut fsc_report);

    pub fn fsc_loss_surface_config_default(config: *mut fsc_loss_surface_config) -> fsc_status;
    pub fn fsc_loss_surface(
        model: *mut fsc_model, config: *const fsc_loss_surface_config, image: *const f32, shape: *const i64,
        rank: usize, label: i32, losses: *mut f32, loss_count: usize, axis: *mut f32, axis_count: usize,
        directions: *mut f32, direction_count: usize,
    ) -> fsc_status;

    pub fn fsc_trainer_config_default(config: *mut fsc_trainer_config) -> fsc_status;
    pub fn fsc_trainer_config_preset(
        name: *const c_char, config: *mut fsc_trainer_config, dataset: *mut *const c_char,
        architecture: *mut *const c_char,
    ) -> fsc_status;
    pub fn fsc_trainer_create(
        model: *mut fsc_model, config: *const fsc_trainer_config, trainer: *mut *mut fsc_trainer,
    ) -> fsc_status;
    pub fn fsc_trainer_step(
        trainer: *mut fsc_trainer, images: *const f32, shape: *const i64, rank: usize, labels: *const i32,
        label_count: usize, loss: *mut f32,
    ) -> fsc_status;
    pub fn fsc_trainer_train(
        trainer: *mut fsc_trainer, train: *const fsc_dataset, test: *const fsc_dataset, out_dir: *const c_char,
        progress: fsc_progress_fn, user: *mut c_void, test_accuracy: *mut f64,
    ) -> fsc_status;
    pub fn fsc_trainer_free(trainer: *mut fsc_trainer);
}
