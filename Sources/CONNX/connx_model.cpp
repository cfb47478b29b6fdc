// connx_model.cpp — parsing, serialising, checking and shape inference of whole models.

#include <climits>
#include <cstdlib>

#include "connx_internal.h"
#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"

using connx::guarded;
using connx::set_error;

extern "C" {

int connx_model_parse(const void *bytes, size_t length, connx_model **model, char *err, size_t errlen) {
    if (model == nullptr) { set_error(err, errlen, "model out-pointer is NULL"); return -1; }
    *model = nullptr;
    if (bytes == nullptr && length > 0) { set_error(err, errlen, "bytes is NULL"); return -1; }
    if (length > static_cast<size_t>(INT_MAX)) { set_error(err, errlen, "model larger than 2 GiB"); return -1; }
    return guarded(err, errlen, [&] {
        auto *m = new connx_model();
        if (!m->proto.ParseFromArray(bytes, static_cast<int>(length))) {
            delete m;
            set_error(err, errlen, "not a valid ONNX ModelProto (protobuf parse failed)");
            return -1;
        }
        *model = m;
        return 0;
    });
}

int connx_model_create(int64_t ir_version, int64_t opset, connx_model **model, char *err, size_t errlen) {
    if (model == nullptr) { set_error(err, errlen, "model out-pointer is NULL"); return -1; }
    return guarded(err, errlen, [&] {
        auto *m = new connx_model();
        m->proto.set_ir_version(ir_version);
        auto *op = m->proto.add_opset_import();
        op->set_domain("");
        op->set_version(opset);
        m->proto.mutable_graph()->set_name("main");
        *model = m;
        return 0;
    });
}

void connx_model_free(connx_model *model) { delete model; }

void connx_free(void *pointer) { std::free(pointer); }

int connx_model_serialize(const connx_model *model, void **bytes, size_t *length, char *err, size_t errlen) {
    if (model == nullptr || bytes == nullptr || length == nullptr) {
        set_error(err, errlen, "NULL argument");
        return -1;
    }
    return guarded(err, errlen, [&] {
        std::string out;
        if (!model->proto.SerializeToString(&out)) {
            set_error(err, errlen, "serialisation failed (model over 2 GiB or missing required fields)");
            return -1;
        }
        void *buffer = std::malloc(out.size() == 0 ? 1 : out.size());
        if (buffer == nullptr) { set_error(err, errlen, "out of memory"); return -1; }
        std::memcpy(buffer, out.data(), out.size());
        *bytes = buffer;
        *length = out.size();
        return 0;
    });
}

static void infer(onnx::ModelProto &proto) {
    onnx::ShapeInferenceOptions options{true, 1, true};
    onnx::shape_inference::InferShapes(proto, onnx::OpSchemaRegistry::Instance(), options);
}

int connx_model_check(const connx_model *model, int full, char *err, size_t errlen) {
    if (model == nullptr) { set_error(err, errlen, "model is NULL"); return -1; }
    return guarded(err, errlen, [&] {
        onnx::checker::check_model(model->proto);
        if (full) {
            onnx::ModelProto copy = model->proto;
            infer(copy);
        }
        return 0;
    });
}

int connx_model_infer_shapes(connx_model *model, char *err, size_t errlen) {
    if (model == nullptr) { set_error(err, errlen, "model is NULL"); return -1; }
    return guarded(err, errlen, [&] {
        infer(model->proto);
        return 0;
    });
}

int64_t connx_model_ir_version(const connx_model *model) { return model ? model->proto.ir_version() : -1; }

int64_t connx_model_opset(const connx_model *model, const char *domain) {
    if (model == nullptr || domain == nullptr) return -1;
    for (const auto &op : model->proto.opset_import()) {
        if (op.domain() == domain || (std::strcmp(domain, "") == 0 && op.domain() == "ai.onnx")) return op.version();
    }
    return -1;
}

int connx_model_has_graph(const connx_model *model) { return model && model->proto.has_graph() ? 1 : 0; }

const char *connx_model_producer(const connx_model *model) {
    return model ? model->proto.producer_name().c_str() : "";
}

size_t connx_model_metadata_count(const connx_model *model) {
    return model ? static_cast<size_t>(model->proto.metadata_props_size()) : 0;
}

const char *connx_model_metadata_key(const connx_model *model, size_t index) {
    if (index >= connx_model_metadata_count(model)) return "";
    return model->proto.metadata_props(static_cast<int>(index)).key().c_str();
}

const char *connx_model_metadata_value(const connx_model *model, size_t index) {
    if (index >= connx_model_metadata_count(model)) return "";
    return model->proto.metadata_props(static_cast<int>(index)).value().c_str();
}

}  // extern "C"

extern "C" {

int connx_tensor_parse(const void *bytes, size_t length, connx_tensor **tensor, char *err, size_t errlen) {
    if (tensor == nullptr) { set_error(err, errlen, "tensor out-pointer is NULL"); return -1; }
    *tensor = nullptr;
    if (bytes == nullptr && length > 0) { set_error(err, errlen, "bytes is NULL"); return -1; }
    if (length > static_cast<size_t>(INT_MAX)) { set_error(err, errlen, "tensor larger than 2 GiB"); return -1; }
    return guarded(err, errlen, [&] {
        auto *t = new onnx::TensorProto();
        if (!t->ParseFromArray(bytes, static_cast<int>(length))) {
            delete t;
            set_error(err, errlen, "not a valid ONNX TensorProto (protobuf parse failed)");
            return -1;
        }
        *tensor = reinterpret_cast<connx_tensor *>(t);
        return 0;
    });
}

void connx_tensor_free(connx_tensor *tensor) { delete reinterpret_cast<onnx::TensorProto *>(tensor); }

}  // extern "C"
