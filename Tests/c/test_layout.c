/* test_layout.c — pins the layout of the public structs (x86-64 and aarch64 LP64). A change here
   is an ABI break: fields may only be appended. Compiled, not run. */
#include <featurescatter.h>

#include <stddef.h>

_Static_assert(sizeof(fsc_status) == 4, "fsc_status is int-sized");
_Static_assert(offsetof(fsc_ot_config, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fsc_ot_config, regularization) == 16, "fsc_ot_config.regularization");
_Static_assert(offsetof(fsc_ot_config, epsilon_scaling) == 52, "fsc_ot_config.epsilon_scaling");
_Static_assert(sizeof(fsc_ot_config) == 56, "fsc_ot_config size");
_Static_assert(offsetof(fsc_ot_report, iterations) == 32, "fsc_ot_report.iterations");
_Static_assert(sizeof(fsc_ot_report) == 40, "fsc_ot_report size");
_Static_assert(offsetof(fsc_trainer_config, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fsc_trainer_config, ot) == 32, "fsc_trainer_config.ot");
_Static_assert(offsetof(fsc_trainer_config, epochs) == 100, "fsc_trainer_config.epochs");
_Static_assert(offsetof(fsc_trainer_config, seed) == 136, "fsc_trainer_config.seed");
_Static_assert(offsetof(fsc_trainer_config, communicator) == 152, "fsc_trainer_config.communicator (0.3)");
_Static_assert(offsetof(fsc_trainer_config, ot_scope) == 160, "fsc_trainer_config.ot_scope (0.3)");
_Static_assert(offsetof(fsc_trainer_config, bucket_megabytes) == 168, "fsc_trainer_config.bucket_megabytes (0.3)");
_Static_assert(offsetof(fsc_trainer_config, sync_batchnorm) == 176, "fsc_trainer_config.sync_batchnorm (0.3)");
_Static_assert(offsetof(fsc_trainer_config, crop_padding) == 180, "fsc_trainer_config.crop_padding (0.4)");
_Static_assert(offsetof(fsc_trainer_config, horizontal_flip) == 184, "fsc_trainer_config.horizontal_flip (0.4)");
_Static_assert(offsetof(fsc_trainer_config, bilateral_beta) == 188, "fsc_trainer_config.bilateral_beta (0.4)");
_Static_assert(sizeof(fsc_trainer_config) == 192, "fsc_trainer_config size");
_Static_assert(offsetof(fsc_progress, loss) == 32, "fsc_progress.loss");
_Static_assert(sizeof(fsc_progress) == 64, "fsc_progress size");
_Static_assert(offsetof(fsc_attack_config, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fsc_attack_config, epsilon) == 16, "fsc_attack_config.epsilon");
_Static_assert(offsetof(fsc_attack_config, target) == 44, "fsc_attack_config.target");
_Static_assert(offsetof(fsc_attack_config, seed) == 48, "fsc_attack_config.seed");
_Static_assert(sizeof(fsc_attack_config) == 56, "fsc_attack_config size");
_Static_assert(offsetof(fsc_eval_config, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fsc_eval_config, attacks) == 16, "fsc_eval_config.attacks");
_Static_assert(offsetof(fsc_eval_config, limit) == 32, "fsc_eval_config.limit");
_Static_assert(offsetof(fsc_eval_config, seed) == 48, "fsc_eval_config.seed");
_Static_assert(offsetof(fsc_eval_config, communicator) == 56, "fsc_eval_config.communicator (0.3)");
_Static_assert(sizeof(fsc_eval_config) == 64, "fsc_eval_config size");
_Static_assert(offsetof(fsc_loss_surface_config, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fsc_loss_surface_config, epsilon) == 8, "fsc_loss_surface_config.epsilon (0.3)");
_Static_assert(offsetof(fsc_loss_surface_config, batch_size) == 20, "fsc_loss_surface_config.batch_size (0.3)");
_Static_assert(offsetof(fsc_loss_surface_config, seed) == 24, "fsc_loss_surface_config.seed (0.3)");
_Static_assert(offsetof(fsc_loss_surface_config, clip) == 32, "fsc_loss_surface_config.clip (0.3)");
_Static_assert(sizeof(fsc_loss_surface_config) == 40, "fsc_loss_surface_config size");

int fsc_layout_pinned;
