#include <coroscope/traces/jsonl.hpp>
#include <coroscope/traces/binary.hpp>
#include "jsonl_fields.hpp"

#include <nlohmann/json.hpp>

namespace coroscope::traces::jsonl {

using nlohmann::json;
using nlohmann::ordered_json; // keeps "kind" first on every line

std::string encode_header(const header& h) {
    ordered_json j = {
        {"coroscope", "trace"},
        {"version", std::to_string(h.major) + "." + std::to_string(h.minor)},
        {"producer", h.producer},
        {"pid", h.pid},
        {"start_unix_ns", h.start_unix_ns},
        {"clock", h.clock_unit},
        // Bit feature_zstd_blocks says a binary file holds zstd blocks; JSON Lines never does.
        {"features", h.features & ~binary::feature_zstd_blocks},
    };
    return j.dump() + "\n";
}

std::string encode_string(std::uint32_t id, std::string_view text) {
    // Invalid UTF-8 (e.g. a binary exception message) is replaced rather than failing the trace.
    ordered_json j = {{"string", id}, {"text", std::string(text)}};
    return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string encode_event(const event& e) {
    const kind_fields& f = fields_of(e.kind);
    ordered_json j = {{"kind", to_string(e.kind)}, {"ts", e.ts_ns}, {"step", e.step}, {"tick", e.tick}};
    if (e.task != 0 || f.uses_task) j["task"] = e.task;
    if (!f.code.empty()) {
        std::string_view name = code_name(f.code_type, e.code);
        if (name.empty()) j[std::string(f.code)] = e.code;
        else j[std::string(f.code)] = name;
    } else if (e.code != 0) {
        j["code"] = e.code;
    }
    if (!f.a.empty()) j[std::string(f.a)] = e.a;
    else if (e.a != 0) j["a"] = e.a;
    if (!f.b.empty()) {
        if (f.b_signed) j[std::string(f.b)] = static_cast<std::int64_t>(e.b);
        else j[std::string(f.b)] = e.b;
    } else if (e.b != 0) {
        j["b"] = e.b;
    }
    if (e.reserved != 0) j["reserved"] = e.reserved;
    return j.dump() + "\n";
}

} // namespace coroscope::traces::jsonl
