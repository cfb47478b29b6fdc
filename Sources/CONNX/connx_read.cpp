// connx_read.cpp — walking a parsed model: graph values, initializers, nodes, attributes, tensors.
// Every accessor checks its indices and returns an empty value instead of trapping.

#include "connx_internal.h"

using connx::handle;
using connx::tensor;

namespace {

const onnx::GraphProto *graph(const connx_model *m) {
    return m != nullptr && m->proto.has_graph() ? &m->proto.graph() : nullptr;
}

const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> *values(const connx_model *m, int kind) {
    const auto *g = graph(m);
    if (g == nullptr) return nullptr;
    switch (kind) {
    case 0: return &g->input();
    case 1: return &g->output();
    case 2: return &g->value_info();
    default: return nullptr;
    }
}

const onnx::ValueInfoProto *value(const connx_model *m, int kind, size_t index) {
    const auto *list = values(m, kind);
    if (list == nullptr || index >= static_cast<size_t>(list->size())) return nullptr;
    return &list->Get(static_cast<int>(index));
}

const onnx::NodeProto *node(const connx_model *m, size_t index) {
    const auto *g = graph(m);
    if (g == nullptr || index >= static_cast<size_t>(g->node_size())) return nullptr;
    return &g->node(static_cast<int>(index));
}

const onnx::AttributeProto *attribute(const connx_model *m, size_t n, size_t index) {
    const auto *nd = node(m, n);
    if (nd == nullptr || index >= static_cast<size_t>(nd->attribute_size())) return nullptr;
    return &nd->attribute(static_cast<int>(index));
}

}  // namespace

extern "C" {

size_t connx_graph_value_count(const connx_model *model, int kind) {
    const auto *list = values(model, kind);
    return list ? static_cast<size_t>(list->size()) : 0;
}

const char *connx_graph_value_name(const connx_model *model, int kind, size_t index) {
    const auto *v = value(model, kind, index);
    return v ? v->name().c_str() : "";
}

int connx_graph_value_elem_type(const connx_model *model, int kind, size_t index) {
    const auto *v = value(model, kind, index);
    if (v == nullptr || !v->type().has_tensor_type()) return 0;
    return v->type().tensor_type().elem_type();
}

int64_t connx_graph_value_rank(const connx_model *model, int kind, size_t index) {
    const auto *v = value(model, kind, index);
    if (v == nullptr || !v->type().has_tensor_type() || !v->type().tensor_type().has_shape()) return -1;
    return v->type().tensor_type().shape().dim_size();
}

int64_t connx_graph_value_dim(const connx_model *model, int kind, size_t index, size_t axis, const char **param) {
    if (param) *param = "";
    int64_t rank = connx_graph_value_rank(model, kind, index);
    if (rank < 0 || axis >= static_cast<size_t>(rank)) return -1;
    const auto &d = value(model, kind, index)->type().tensor_type().shape().dim(static_cast<int>(axis));
    if (d.has_dim_value()) return d.dim_value();
    if (param && d.has_dim_param()) *param = d.dim_param().c_str();
    return -1;
}

size_t connx_graph_initializer_count(const connx_model *model) {
    const auto *g = graph(model);
    return g ? static_cast<size_t>(g->initializer_size()) : 0;
}

const connx_tensor *connx_graph_initializer(const connx_model *model, size_t index) {
    if (index >= connx_graph_initializer_count(model)) return nullptr;
    return handle(&graph(model)->initializer(static_cast<int>(index)));
}

size_t connx_graph_sparse_initializer_count(const connx_model *model) {
    const auto *g = graph(model);
    return g ? static_cast<size_t>(g->sparse_initializer_size()) : 0;
}

size_t connx_graph_node_count(const connx_model *model) {
    const auto *g = graph(model);
    return g ? static_cast<size_t>(g->node_size()) : 0;
}

const char *connx_node_op_type(const connx_model *model, size_t n) {
    const auto *nd = node(model, n);
    return nd ? nd->op_type().c_str() : "";
}

const char *connx_node_name(const connx_model *model, size_t n) {
    const auto *nd = node(model, n);
    return nd ? nd->name().c_str() : "";
}

const char *connx_node_domain(const connx_model *model, size_t n) {
    const auto *nd = node(model, n);
    return nd ? nd->domain().c_str() : "";
}

size_t connx_node_input_count(const connx_model *model, size_t n) {
    const auto *nd = node(model, n);
    return nd ? static_cast<size_t>(nd->input_size()) : 0;
}

const char *connx_node_input(const connx_model *model, size_t n, size_t index) {
    if (index >= connx_node_input_count(model, n)) return "";
    return node(model, n)->input(static_cast<int>(index)).c_str();
}

size_t connx_node_output_count(const connx_model *model, size_t n) {
    const auto *nd = node(model, n);
    return nd ? static_cast<size_t>(nd->output_size()) : 0;
}

const char *connx_node_output(const connx_model *model, size_t n, size_t index) {
    if (index >= connx_node_output_count(model, n)) return "";
    return node(model, n)->output(static_cast<int>(index)).c_str();
}

size_t connx_node_attribute_count(const connx_model *model, size_t n) {
    const auto *nd = node(model, n);
    return nd ? static_cast<size_t>(nd->attribute_size()) : 0;
}

const char *connx_attribute_name(const connx_model *model, size_t n, size_t index) {
    const auto *a = attribute(model, n, index);
    return a ? a->name().c_str() : "";
}

int connx_attribute_type(const connx_model *model, size_t n, size_t index) {
    const auto *a = attribute(model, n, index);
    return a ? a->type() : 0;
}

int64_t connx_attribute_int(const connx_model *model, size_t n, size_t index) {
    const auto *a = attribute(model, n, index);
    return a ? a->i() : 0;
}

float connx_attribute_float(const connx_model *model, size_t n, size_t index) {
    const auto *a = attribute(model, n, index);
    return a ? a->f() : 0.0f;
}

const char *connx_attribute_string(const connx_model *model, size_t n, size_t index, size_t *length) {
    const auto *a = attribute(model, n, index);
    if (length) *length = a ? a->s().size() : 0;
    return a ? a->s().data() : "";
}

const int64_t *connx_attribute_ints(const connx_model *model, size_t n, size_t index, size_t *count) {
    const auto *a = attribute(model, n, index);
    if (count) *count = a ? static_cast<size_t>(a->ints_size()) : 0;
    return a ? a->ints().data() : nullptr;
}

const float *connx_attribute_floats(const connx_model *model, size_t n, size_t index, size_t *count) {
    const auto *a = attribute(model, n, index);
    if (count) *count = a ? static_cast<size_t>(a->floats_size()) : 0;
    return a ? a->floats().data() : nullptr;
}

const connx_tensor *connx_attribute_tensor(const connx_model *model, size_t n, size_t index) {
    const auto *a = attribute(model, n, index);
    return a && a->has_t() ? handle(&a->t()) : nullptr;
}

const char *connx_tensor_name(const connx_tensor *t) { return t ? tensor(t)->name().c_str() : ""; }

int connx_tensor_data_type(const connx_tensor *t) { return t ? tensor(t)->data_type() : 0; }

size_t connx_tensor_rank(const connx_tensor *t) { return t ? static_cast<size_t>(tensor(t)->dims_size()) : 0; }

int64_t connx_tensor_dim(const connx_tensor *t, size_t axis) {
    if (axis >= connx_tensor_rank(t)) return -1;
    return tensor(t)->dims(static_cast<int>(axis));
}

int connx_tensor_storage(const connx_tensor *t, const void **data, size_t *count) {
    *data = nullptr;
    *count = 0;
    if (t == nullptr) return -1;
    const auto *p = tensor(t);
    if (p->data_location() == onnx::TensorProto::EXTERNAL) return CONNX_STORAGE_EXTERNAL;
    if (p->has_raw_data()) {
        *data = p->raw_data().data();
        *count = p->raw_data().size();
        return CONNX_STORAGE_RAW;
    }
    if (p->float_data_size() > 0) { *data = p->float_data().data(); *count = p->float_data_size(); return CONNX_STORAGE_FLOAT; }
    if (p->int32_data_size() > 0) { *data = p->int32_data().data(); *count = p->int32_data_size(); return CONNX_STORAGE_INT32; }
    if (p->int64_data_size() > 0) { *data = p->int64_data().data(); *count = p->int64_data_size(); return CONNX_STORAGE_INT64; }
    if (p->double_data_size() > 0) { *data = p->double_data().data(); *count = p->double_data_size(); return CONNX_STORAGE_DOUBLE; }
    if (p->uint64_data_size() > 0) { *data = p->uint64_data().data(); *count = p->uint64_data_size(); return CONNX_STORAGE_UINT64; }
    if (p->string_data_size() > 0) { *count = p->string_data_size(); return CONNX_STORAGE_STRING; }
    return CONNX_STORAGE_RAW;  // no values at all: an empty raw buffer
}

size_t connx_tensor_external_count(const connx_tensor *t) {
    return t ? static_cast<size_t>(tensor(t)->external_data_size()) : 0;
}

const char *connx_tensor_external_key(const connx_tensor *t, size_t index) {
    if (index >= connx_tensor_external_count(t)) return "";
    return tensor(t)->external_data(static_cast<int>(index)).key().c_str();
}

const char *connx_tensor_external_value(const connx_tensor *t, size_t index) {
    if (index >= connx_tensor_external_count(t)) return "";
    return tensor(t)->external_data(static_cast<int>(index)).value().c_str();
}

}  // extern "C"
