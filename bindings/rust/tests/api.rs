//! The safe layer against the library: training steps, an attack, evaluation, the ONNX round trip
//! and the error paths. Needs libfeaturescatter.so (FEATURESCATTER_LIB_DIR or pkg-config).

use featurescatter::sys;
use featurescatter::*;

fn images(count: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2654435761).max(1);
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 10_000) as f32 / 10_000.0
        })
        .collect()
}

fn labels(count: usize) -> Vec<i32> {
    (0..count as i32).map(|i| i % 10).collect()
}

fn temporary(name: &str) -> String {
    let folder = std::env::temp_dir().join(format!("featurescatter-rust-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    folder.join(name).to_string_lossy().into_owned()
}

fn status(result: Result<impl Sized>) -> sys::fsc_status {
    match result {
        Ok(_) => sys::FSC_OK,
        Err(error) => {
            assert!(!error.message.is_empty(), "an error without a message");
            error.status
        }
    }
}

#[test]
fn library_facts_and_threads() {
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
    assert!(!blas_core().is_empty());
    assert!(threads().unwrap() >= 1);
    assert_eq!(status(set_threads(0)), sys::FSC_ERR_INVALID_ARGUMENT);
    let error = set_threads(0).unwrap_err();
    assert!(error.to_string().starts_with("FSC_ERR_INVALID_ARGUMENT: "), "{error}");
}

#[test]
fn datasets_copy_and_refuse_bad_input() {
    let x = images(32 * 784, 1);
    let y = labels(32);
    let data = Dataset::from_memory(&x, [32, 1, 28, 28], &y, 10).unwrap();
    assert_eq!(data.info().unwrap(), (32, [1, 28, 28], 10));
    let (copied, copied_labels) = data.copy(2, 3).unwrap();
    assert_eq!(copied.len(), 3 * 784);
    assert_eq!(copied[0], x[2 * 784]);
    assert_eq!(copied_labels, vec![2, 3, 4]);
    assert_eq!(status(data.copy(30, 10)), sys::FSC_ERR_INVALID_ARGUMENT);
    assert_eq!(status(Dataset::from_memory(&x, [31, 1, 28, 28], &y, 10)), sys::FSC_ERR_SHAPE);
    let mut nan = x.clone();
    nan[9] = f32::NAN;
    assert_eq!(status(Dataset::from_memory(&nan, [32, 1, 28, 28], &y, 10)), sys::FSC_ERR_NOT_FINITE);
    let mut wrong = y.clone();
    wrong[0] = 10;
    assert_eq!(status(Dataset::from_memory(&x, [32, 1, 28, 28], &wrong, 10)), sys::FSC_ERR_INVALID_ARGUMENT);
    assert_eq!(status(Dataset::load("no-such-set", Split::Train, 0, None)), sys::FSC_ERR_INVALID_ARGUMENT);
    assert_eq!(status(Dataset::load("npz", Split::Train, 0, Some("/nonexistent/x.npz"))), sys::FSC_ERR_IO);
    assert_eq!(status(Dataset::load("bad\0name", Split::Train, 0, None)), sys::FSC_ERR_INVALID_ARGUMENT);
}

#[test]
fn onnx_and_checkpoint_round_trips_keep_the_logits() {
    let x = images(4 * 784, 2);
    let mut model = Model::create("smallcnn", [1, 28, 28], 10, 3).unwrap();
    assert!(model.parameter_count().unwrap() > 100_000);
    assert_eq!(model.info().unwrap(), ([1, 28, 28], 10));
    let logits = model.forward(&x, [4, 1, 28, 28]).unwrap();
    assert_eq!(logits.len(), 40);
    assert_eq!(model.predict(&x, [4, 1, 28, 28]).unwrap().len(), 4);
    assert_eq!(status(model.forward(&x, [5, 1, 28, 28])), sys::FSC_ERR_SHAPE);
    let wide = images(4 * 3 * 784, 3);
    assert_eq!(status(model.forward(&wide, [4, 3, 28, 28])), sys::FSC_ERR_SHAPE);

    let bytes = model.to_onnx_bytes(0).unwrap();
    let mut imported = Model::from_onnx_bytes(&bytes, None).unwrap();
    let again = imported.forward(&x, [4, 1, 28, 28]).unwrap();
    let largest = logits.iter().zip(&again).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(largest < 1e-4, "{largest}");
    let onnx_path = temporary("model.onnx");
    model.save_onnx(&onnx_path, 13).unwrap();
    assert_eq!(Model::load_onnx(&onnx_path, Some([1, 28, 28])).unwrap().info().unwrap().1, 10);
    let checkpoint = temporary("model.fsc");
    model.save_checkpoint(&checkpoint).unwrap();
    assert_eq!(Model::load_checkpoint(&checkpoint).unwrap().forward(&x, [4, 1, 28, 28]).unwrap(), logits);
    assert_eq!(status(Model::from_onnx_bytes(&[0xab; 64], None)), sys::FSC_ERR_ONNX);
    assert_eq!(status(Model::load_checkpoint(&temporary("missing.fsc"))), sys::FSC_ERR_IO);
    assert_eq!(status(model.save_onnx(&temporary("bad.onnx"), 99)), sys::FSC_ERR_INVALID_ARGUMENT);
    assert_eq!(status(Model::create("no-such-net", [1, 28, 28], 10, 0)), sys::FSC_ERR_INVALID_ARGUMENT);
}

#[test]
fn optimal_transport_solves_and_differentiates() {
    let cost = [0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0];
    let (plan, report) = ot_solve(&cost, 3, 3, None, None, &OtConfig::default()).unwrap();
    assert!((plan[0] + plan[1] + plan[2] - 1.0 / 3.0).abs() < 1e-5);
    assert!(report.transport_cost < 0.01 && report.iterations >= 1);
    let mut bad = OtConfig::default();
    bad.raw.regularization = -1.0;
    assert_eq!(status(ot_solve(&cost, 3, 3, None, None, &bad)), sys::FSC_ERR_INVALID_ARGUMENT);
    assert_eq!(status(ot_solve(&cost, 2, 3, None, None, &OtConfig::default())), sys::FSC_ERR_SHAPE);
    let (x, y) = ([1.0, 0.0, 0.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0, 1.0, 2.0]);
    let (distance, gx, gy) = ot_distance(&x, 3, &y, 3, 2, 0, 0, &OtConfig::default()).unwrap();
    assert!(distance >= 0.0 && gx.len() == 6 && gy.len() == 6);
    let mut nan = x;
    nan[0] = f32::NAN;
    assert_eq!(status(ot_distance(&nan, 3, &y, 3, 2, 0, 0, &OtConfig::default())), sys::FSC_ERR_NOT_FINITE);
}

#[test]
fn attack_and_evaluation() {
    let x = images(32 * 784, 4);
    let y = labels(32);
    let mut model = Model::create("mlp", [1, 28, 28], 10, 4).unwrap();
    let mut config = AttackConfig::default();
    assert!(config.raw.kind == 1 && (config.raw.epsilon - 0.1).abs() < 1e-7);
    config.raw.steps = 3;
    let batch = &x[..8 * 784];
    let adversarial = attack(&mut model, &config, batch, [8, 1, 28, 28], &y[..8]).unwrap();
    let largest = adversarial.iter().zip(batch).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(largest > 0.0 && largest <= 0.1 + 1e-6, "{largest}");
    config.raw.epsilon = 2.0;
    assert_eq!(status(attack(&mut model, &config, batch, [8, 1, 28, 28], &y[..8])), sys::FSC_ERR_INVALID_ARGUMENT);

    let data = Dataset::from_memory(&x, [32, 1, 28, 28], &y, 10).unwrap();
    let mut evaluation = EvalConfig::default();
    assert_eq!(evaluation.attacks, "fgsm,pgd20,cw20,apgd-ce");
    evaluation.attacks = "fgsm,pgd5".into();
    evaluation.limit = 16;
    evaluation.batch_size = 8;
    let report = evaluate(&mut model, &data, &evaluation, None).unwrap();
    let clean = report.accuracy("clean").unwrap();
    assert!((0.0..=100.0).contains(&clean) && report.accuracy("pgd5").unwrap() <= clean);
    assert!(report.json().unwrap().contains("\"pgd5\""));
    assert_eq!(status(report.accuracy("no-such-attack")), sys::FSC_ERR_INVALID_ARGUMENT);
    evaluation.attacks = "pgd-nonsense".into();
    assert_eq!(status(evaluate(&mut model, &data, &evaluation, None)), sys::FSC_ERR_INVALID_ARGUMENT);
    assert_eq!(status(Communicator::from_mpi(0)), sys::FSC_ERR_IO);
}

#[test]
fn training_steps_epochs_progress_and_cancellation() {
    let x = images(32 * 784, 5);
    let y = labels(32);
    let mut model = Model::create("mlp", [1, 28, 28], 10, 5).unwrap();
    let mut config = TrainerConfig::default();
    assert!(config.raw.method == 2 && config.raw.epochs == 10 && config.raw.batch_size == 128);
    config.raw.method = 0;
    config.raw.epochs = 1;
    config.raw.batch_size = 16;
    config.raw.learning_rate = 0.1;
    let data = Dataset::from_memory(&x, [32, 1, 28, 28], &y, 10).unwrap();
    {
        let mut trainer = Trainer::new(&mut model, &config).unwrap();
        let losses: Vec<f32> = (0..5).map(|_| trainer.step(&x[..16 * 784], [16, 1, 28, 28], &y[..16]).unwrap()).collect();
        assert!(losses.iter().all(|l| l.is_finite()) && losses[4] < losses[0], "{losses:?}");
        assert_eq!(status(trainer.step(&x[..16 * 784], [16, 1, 28, 28], &y[..15])), sys::FSC_ERR_SHAPE);
        let mut calls = 0;
        let mut count = |p: &sys::fsc_progress| {
            calls += 1;
            p.batches == 2
        };
        let accuracy = trainer.train(&data, Some(&data), Some(&temporary("run")), Some(&mut count)).unwrap();
        assert!(accuracy.map_or(false, |a| (0.0..=100.0).contains(&a)));
        assert_eq!(calls, 2);
    }
    let mut stop = |_: &sys::fsc_progress| false;
    let mut cancelled = Trainer::new(&mut model, &config).unwrap();
    assert_eq!(status(cancelled.train(&data, None, None, Some(&mut stop))), sys::FSC_ERR_CANCELLED);
    drop(cancelled);
    let mut panicking = |_: &sys::fsc_progress| -> bool { panic!("host") };
    let mut trainer = Trainer::new(&mut model, &config).unwrap();
    assert_eq!(status(trainer.train(&data, None, None, Some(&mut panicking))), sys::FSC_ERR_CANCELLED);
    drop(trainer);
    config.raw.batch_size = 0;
    assert_eq!(status(Trainer::new(&mut model, &config)), sys::FSC_ERR_INVALID_ARGUMENT);
}

#[test]
fn handles_are_send() {
    fn send<T: Send>() {}
    send::<Model>();
    send::<Dataset>();
    send::<Report>();
    send::<Trainer<'static>>();
    send::<Communicator>();
}
