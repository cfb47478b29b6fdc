/* connx.h — a small flat C view of ONNX models, backed by the system's libonnx and libprotobuf.
 *
 * Nothing protobuf-typed crosses this header. Every fallible call returns 0 on success and -1 on
 * failure, with a message written to the caller's `err` buffer (`errlen` bytes, always
 * NUL-terminated; `err` may be NULL). No C++ exception escapes.
 *
 * Lifecycle of a model:
 *   1. connx_model_parse (bytes) or connx_model_create (empty, for building)
 *   2. read: connx_graph_* / connx_node_* / connx_tensor_*  (borrowed pointers, valid until the
 *      model is changed or freed)  — or build: connx_model_add_*
 *   3. connx_model_check, connx_model_infer_shapes, connx_model_serialize
 *   4. connx_model_free (NULL is a no-op)
 */
#ifndef CONNX_H
#define CONNX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct connx_model connx_model;
/* A borrowed TensorProto (an initializer or a tensor attribute). */
typedef struct connx_tensor connx_tensor;

/* ---- Models ---------------------------------------------------------------------------------- */

/* Parses a serialised ModelProto. [out] model: free with connx_model_free. */
int connx_model_parse(const void *bytes, size_t length, connx_model **model, char *err, size_t errlen);
/* An empty model with the given IR version and default-domain opset. */
int connx_model_create(int64_t ir_version, int64_t opset, connx_model **model, char *err, size_t errlen);
void connx_model_free(connx_model *model);
/* Serialises; [out] bytes: malloc'ed, free with connx_free. */
int connx_model_serialize(const connx_model *model, void **bytes, size_t *length, char *err, size_t errlen);
void connx_free(void *pointer);
/* onnx::checker::check_model, then strict shape inference when `full` is non-zero. */
int connx_model_check(const connx_model *model, int full, char *err, size_t errlen);
/* Runs strict shape inference and stores the inferred value_info in the model. */
int connx_model_infer_shapes(connx_model *model, char *err, size_t errlen);

int64_t connx_model_ir_version(const connx_model *model);
/* The opset imported for `domain` ("" = ai.onnx), or -1 when not imported. */
int64_t connx_model_opset(const connx_model *model, const char *domain);
/* 1 when the model has a graph. */
int connx_model_has_graph(const connx_model *model);
const char *connx_model_producer(const connx_model *model);
size_t connx_model_metadata_count(const connx_model *model);
const char *connx_model_metadata_key(const connx_model *model, size_t index);
const char *connx_model_metadata_value(const connx_model *model, size_t index);

/* ---- Graph inputs, outputs, initializers ----------------------------------------------------- */

/* kind: 0 = inputs, 1 = outputs, 2 = value_info. */
size_t connx_graph_value_count(const connx_model *model, int kind);
const char *connx_graph_value_name(const connx_model *model, int kind, size_t index);
/* The element type (TensorProto.DataType) or 0 when not a tensor type. */
int connx_graph_value_elem_type(const connx_model *model, int kind, size_t index);
/* The rank, or -1 when the shape is unknown. */
int64_t connx_graph_value_rank(const connx_model *model, int kind, size_t index);
/* A dimension: its value, or -1 when symbolic/unknown (then `param` gets its name or ""). */
int64_t connx_graph_value_dim(const connx_model *model, int kind, size_t index, size_t axis, const char **param);

size_t connx_graph_initializer_count(const connx_model *model);
const connx_tensor *connx_graph_initializer(const connx_model *model, size_t index);
/* 1 when the graph has sparse initializers (unsupported by the importer). */
size_t connx_graph_sparse_initializer_count(const connx_model *model);

/* ---- Nodes and attributes -------------------------------------------------------------------- */

size_t connx_graph_node_count(const connx_model *model);
const char *connx_node_op_type(const connx_model *model, size_t node);
const char *connx_node_name(const connx_model *model, size_t node);
const char *connx_node_domain(const connx_model *model, size_t node);
size_t connx_node_input_count(const connx_model *model, size_t node);
const char *connx_node_input(const connx_model *model, size_t node, size_t index);
size_t connx_node_output_count(const connx_model *model, size_t node);
const char *connx_node_output(const connx_model *model, size_t node, size_t index);

size_t connx_node_attribute_count(const connx_model *model, size_t node);
const char *connx_attribute_name(const connx_model *model, size_t node, size_t index);
/* AttributeProto.AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS, 8 STRINGS … */
int connx_attribute_type(const connx_model *model, size_t node, size_t index);
int64_t connx_attribute_int(const connx_model *model, size_t node, size_t index);
float connx_attribute_float(const connx_model *model, size_t node, size_t index);
/* A string attribute's bytes (not NUL-terminated; `length` gets the size). */
const char *connx_attribute_string(const connx_model *model, size_t node, size_t index, size_t *length);
/* INTS / FLOATS: [out] count; returns a pointer to the values (borrowed). */
const int64_t *connx_attribute_ints(const connx_model *model, size_t node, size_t index, size_t *count);
const float *connx_attribute_floats(const connx_model *model, size_t node, size_t index, size_t *count);
const connx_tensor *connx_attribute_tensor(const connx_model *model, size_t node, size_t index);

/* ---- Tensors ---------------------------------------------------------------------------------- */

const char *connx_tensor_name(const connx_tensor *tensor);
int connx_tensor_data_type(const connx_tensor *tensor);
size_t connx_tensor_rank(const connx_tensor *tensor);
int64_t connx_tensor_dim(const connx_tensor *tensor, size_t axis);
/* Where the values are. */
enum connx_storage {
    CONNX_STORAGE_RAW = 0,      /* little-endian bytes in raw_data (count = bytes) */
    CONNX_STORAGE_FLOAT = 1,    /* float_data (also float16/bfloat16 bit patterns in int32_data: see INT32) */
    CONNX_STORAGE_INT32 = 2,    /* int32_data (int8..int32, uint8, uint16, bool, float16) */
    CONNX_STORAGE_INT64 = 3,    /* int64_data */
    CONNX_STORAGE_DOUBLE = 4,   /* double_data */
    CONNX_STORAGE_UINT64 = 5,   /* uint64_data (uint32, uint64) */
    CONNX_STORAGE_EXTERNAL = 6, /* external file: see connx_tensor_external_* */
    CONNX_STORAGE_STRING = 7    /* string_data (unsupported by the importer) */
};
/* [out] data: borrowed pointer to the values; [out] count: elements (bytes for RAW). */
int connx_tensor_storage(const connx_tensor *tensor, const void **data, size_t *count);
size_t connx_tensor_external_count(const connx_tensor *tensor);
const char *connx_tensor_external_key(const connx_tensor *tensor, size_t index);
const char *connx_tensor_external_value(const connx_tensor *tensor, size_t index);

/* Parses a serialised TensorProto (the backend test data's .pb files). [out] tensor: an owned
   tensor, free with connx_tensor_free. */
int connx_tensor_parse(const void *bytes, size_t length, connx_tensor **tensor, char *err, size_t errlen);
void connx_tensor_free(connx_tensor *tensor);

/* ---- Building --------------------------------------------------------------------------------- */

int connx_model_set_producer(connx_model *model, const char *name, const char *version, char *err, size_t errlen);
int connx_model_add_metadata(connx_model *model, const char *key, const char *value, char *err, size_t errlen);
/* kind 0 = graph input, 1 = graph output. dims[i] < 0 is symbolic, named params[i] (may be NULL). */
int connx_model_add_value(connx_model *model, int kind, const char *name, int elem_type, const int64_t *dims,
                          const char *const *params, size_t rank, char *err, size_t errlen);
/* A float32 initializer (values copied into raw_data). */
int connx_model_add_initializer(connx_model *model, const char *name, const int64_t *dims, size_t rank,
                                const float *values, size_t count, char *err, size_t errlen);
/* An int64 initializer. */
int connx_model_add_initializer_int64(connx_model *model, const char *name, const int64_t *dims, size_t rank,
                                      const int64_t *values, size_t count, char *err, size_t errlen);
int connx_model_add_node(connx_model *model, const char *op_type, const char *name,
                         const char *const *inputs, size_t input_count,
                         const char *const *outputs, size_t output_count, char *err, size_t errlen);
/* Attributes of the last node added. */
int connx_node_add_int(connx_model *model, const char *name, int64_t value, char *err, size_t errlen);
int connx_node_add_float(connx_model *model, const char *name, float value, char *err, size_t errlen);
int connx_node_add_ints(connx_model *model, const char *name, const int64_t *values, size_t count,
                        char *err, size_t errlen);
int connx_node_add_floats(connx_model *model, const char *name, const float *values, size_t count,
                          char *err, size_t errlen);
int connx_node_add_string(connx_model *model, const char *name, const char *value, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
