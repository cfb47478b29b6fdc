// connx_internal.h — the model handle and the error plumbing shared by the CONNX sources.
#pragma once

#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "onnx/onnx_pb.h"
#include "include/connx.h"

struct connx_model {
    onnx::ModelProto proto;
    onnx::NodeProto *last_node = nullptr;
};

namespace connx {

inline void set_error(char *err, size_t errlen, const std::string &message) {
    if (err == nullptr || errlen == 0) return;
    std::snprintf(err, errlen, "%s", message.c_str());
}

// Runs `body`, turning every C++ exception into -1 and a message.
template <typename Body>
int guarded(char *err, size_t errlen, Body body) {
    try {
        return body();
    } catch (const std::exception &e) {
        set_error(err, errlen, e.what());
    } catch (...) {
        set_error(err, errlen, "unknown C++ exception");
    }
    return -1;
}

inline const onnx::TensorProto *tensor(const connx_tensor *t) {
    return reinterpret_cast<const onnx::TensorProto *>(t);
}
inline const connx_tensor *handle(const onnx::TensorProto *t) {
    return reinterpret_cast<const connx_tensor *>(t);
}

}  // namespace connx
