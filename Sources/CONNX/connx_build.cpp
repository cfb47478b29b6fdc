// connx_build.cpp — building a model: producer, metadata, graph inputs/outputs, initializers, nodes.

#include "connx_internal.h"

using connx::guarded;
using connx::set_error;

namespace {

onnx::TensorProto *new_initializer(connx_model *m, const char *name, const int64_t *dims, size_t rank,
                                   size_t count, int type) {
    size_t expected = 1;
    for (size_t i = 0; i < rank; ++i) {
        if (dims[i] < 0) throw std::invalid_argument("negative initializer dimension");
        expected *= static_cast<size_t>(dims[i]);
    }
    if (expected != count) throw std::invalid_argument(std::string("initializer ") + name + ": count does not match dims");
    auto *t = m->proto.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (size_t i = 0; i < rank; ++i) t->add_dims(dims[i]);
    return t;
}

}  // namespace

extern "C" {

int connx_model_set_producer(connx_model *model, const char *name, const char *version, char *err, size_t errlen) {
    if (!model || !name || !version) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] {
        model->proto.set_producer_name(name);
        model->proto.set_producer_version(version);
        return 0;
    });
}

int connx_model_add_metadata(connx_model *model, const char *key, const char *value, char *err, size_t errlen) {
    if (!model || !key || !value) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] {
        auto *p = model->proto.add_metadata_props();
        p->set_key(key);
        p->set_value(value);
        return 0;
    });
}

int connx_model_add_value(connx_model *model, int kind, const char *name, int elem_type, const int64_t *dims,
                          const char *const *params, size_t rank, char *err, size_t errlen) {
    if (!model || !name || (rank > 0 && !dims) || (kind != 0 && kind != 1)) {
        set_error(err, errlen, "invalid argument");
        return -1;
    }
    return guarded(err, errlen, [&] {
        auto *g = model->proto.mutable_graph();
        auto *v = kind == 0 ? g->add_input() : g->add_output();
        v->set_name(name);
        auto *tt = v->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(elem_type);
        auto *shape = tt->mutable_shape();
        for (size_t i = 0; i < rank; ++i) {
            auto *d = shape->add_dim();
            if (dims[i] >= 0) d->set_dim_value(dims[i]);
            else if (params && params[i]) d->set_dim_param(params[i]);
        }
        return 0;
    });
}

int connx_model_add_initializer(connx_model *model, const char *name, const int64_t *dims, size_t rank,
                                const float *values, size_t count, char *err, size_t errlen) {
    if (!model || !name || (rank > 0 && !dims) || (count > 0 && !values)) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] {
        auto *t = new_initializer(model, name, dims, rank, count, onnx::TensorProto::FLOAT);
        t->set_raw_data(values, count * sizeof(float));
        return 0;
    });
}

int connx_model_add_initializer_int64(connx_model *model, const char *name, const int64_t *dims, size_t rank,
                                      const int64_t *values, size_t count, char *err, size_t errlen) {
    if (!model || !name || (rank > 0 && !dims) || (count > 0 && !values)) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] {
        auto *t = new_initializer(model, name, dims, rank, count, onnx::TensorProto::INT64);
        t->set_raw_data(values, count * sizeof(int64_t));
        return 0;
    });
}

int connx_model_add_node(connx_model *model, const char *op_type, const char *name,
                         const char *const *inputs, size_t input_count,
                         const char *const *outputs, size_t output_count, char *err, size_t errlen) {
    if (!model || !op_type || !name || (input_count && !inputs) || (output_count && !outputs)) {
        set_error(err, errlen, "NULL argument");
        return -1;
    }
    return guarded(err, errlen, [&] {
        auto *n = model->proto.mutable_graph()->add_node();
        n->set_op_type(op_type);
        n->set_name(name);
        for (size_t i = 0; i < input_count; ++i) n->add_input(inputs[i] ? inputs[i] : "");
        for (size_t i = 0; i < output_count; ++i) n->add_output(outputs[i] ? outputs[i] : "");
        model->last_node = n;
        return 0;
    });
}

static onnx::AttributeProto *new_attribute(connx_model *model, const char *name, onnx::AttributeProto::AttributeType type) {
    if (model->last_node == nullptr) throw std::logic_error("no node to add an attribute to");
    auto *a = model->last_node->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
}

int connx_node_add_int(connx_model *model, const char *name, int64_t value, char *err, size_t errlen) {
    if (!model || !name) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] { new_attribute(model, name, onnx::AttributeProto::INT)->set_i(value); return 0; });
}

int connx_node_add_float(connx_model *model, const char *name, float value, char *err, size_t errlen) {
    if (!model || !name) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] { new_attribute(model, name, onnx::AttributeProto::FLOAT)->set_f(value); return 0; });
}

int connx_node_add_ints(connx_model *model, const char *name, const int64_t *values, size_t count,
                        char *err, size_t errlen) {
    if (!model || !name || (count && !values)) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] {
        auto *a = new_attribute(model, name, onnx::AttributeProto::INTS);
        for (size_t i = 0; i < count; ++i) a->add_ints(values[i]);
        return 0;
    });
}

int connx_node_add_floats(connx_model *model, const char *name, const float *values, size_t count,
                          char *err, size_t errlen) {
    if (!model || !name || (count && !values)) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] {
        auto *a = new_attribute(model, name, onnx::AttributeProto::FLOATS);
        for (size_t i = 0; i < count; ++i) a->add_floats(values[i]);
        return 0;
    });
}

int connx_node_add_string(connx_model *model, const char *name, const char *value, char *err, size_t errlen) {
    if (!model || !name || !value) { set_error(err, errlen, "NULL argument"); return -1; }
    return guarded(err, errlen, [&] { new_attribute(model, name, onnx::AttributeProto::STRING)->set_s(value); return 0; });
}

}  // extern "C"
