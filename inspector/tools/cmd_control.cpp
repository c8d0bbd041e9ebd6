// coroscope-trace control ADDR COMMAND [ARG]: one command to a live program, its answer printed in
// one line, then disconnect (the program stays as asked; breakpoints stay set).
//
//   status | pause | step [N] | tick [N]   -> "paused at step S, tick T" (or "running")
//   resume                                 -> "running"
//   continue                               -> waits (up to --timeout) for the next stop:
//                                             "paused at step S, tick T: breakpoint ID (...)",
//                                             "exited with code C", or "running" if none came
//   break SPEC                             -> "breakpoint ID: SPEC"   (SPEC as in parse_spec below)
//   clear [ID]                             -> "cleared"
#include "commands.hpp"
#include "live_command.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace coroscope::cli {

namespace {

using nlohmann::json;

constexpr const char* spec_help = "spawn, resume:TASK, ready[:RESOURCE], exception, long_step:MS or lint[:MS]";

std::optional<std::uint64_t> parse_number(std::string_view text) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

// "lint:5" -> {"kind":"lint","ms":5}; nullopt when it is not one of spec_help.
std::optional<json> parse_spec(const std::string& text) {
    auto colon = text.find(':');
    std::string name = text.substr(0, colon);
    std::optional<std::uint64_t> arg;
    if (colon != std::string::npos) {
        arg = parse_number(std::string_view(text).substr(colon + 1));
        if (!arg) return std::nullopt;
    }
    if (name == "long-step") name = "long_step";
    if ((name == "spawn" || name == "exception") && !arg) return json{{"kind", name}};
    if (name == "resume" && arg) return json{{"kind", name}, {"task", *arg}};
    if (name == "ready") return json{{"kind", name}, {"resource", arg.value_or(0)}};
    if (name == "long_step" && arg) return json{{"kind", name}, {"ms", *arg}};
    if (name == "lint") return arg ? json{{"kind", name}, {"ms", *arg}} : json{{"kind", name}};
    return std::nullopt;
}

std::string position_text(const json& body) {
    std::string out = "paused at step " + std::to_string(body.value("step", std::uint64_t{0})) + ", tick " +
                      std::to_string(body.value("tick", std::uint64_t{0}));
    if (body.value("why", std::string()) == "breakpoint") {
        out += ": breakpoint " + std::to_string(body.value("breakpoint", 0u));
        std::string detail;
        if (body.contains("lint")) detail = "lint " + body.value("lint", std::string());
        if (body.contains("task")) detail += (detail.empty() ? "" : ", ") + ("task " + body["task"].dump());
        if (!detail.empty()) out += " (" + detail + ")";
    }
    return out;
}

int control(const std::string& address, const std::string& verb, const std::optional<std::string>& argument,
            const std::string& token, double timeout_s) {
    auto fail = [&](const std::string& why) {
        std::cerr << "coroscope-trace: " << address << ": " << verb << ": " << why << "\n";
        return 1;
    };
    json command = {{"cmd", verb}};
    if (verb == "step" || verb == "tick") {
        if (argument) {
            auto n = parse_number(*argument);
            if (!n || *n == 0) return fail("count '" + *argument + "' is not a positive number");
            command["count"] = *n;
        }
    } else if (verb == "break") {
        if (!argument) return fail(std::string("needs a breakpoint: ") + spec_help);
        auto spec = parse_spec(*argument);
        if (!spec) return fail("unknown breakpoint '" + *argument + "' (expected " + spec_help + ")");
        command["breakpoint"] = *spec;
    } else if (verb == "clear") {
        if (argument) {
            auto id = parse_number(*argument);
            if (!id) return fail("breakpoint id '" + *argument + "' is not a number");
            command["breakpoint"] = *id;
        }
    } else if (argument) {
        return fail("takes no argument (got '" + *argument + "')");
    }

    inspector::live_client::options opts;
    opts.token = token;
    opts.collect_events = false;
    auto client = connect_live(address, opts, timeout_s);
    if (!client) return 1;
    auto reply = client->command_and_wait(command, to_ms(timeout_s));
    if (!reply.value("ok", false)) {
        if (auto code = client->exit_code(); code && !reply.contains("id")) {
            std::cout << "exited with code " << *code << "\n";
            return 0;
        }
        if (reply.contains("exited")) {
            std::cout << "exited with code " << reply["exited"].dump() << "\n";
            return 0;
        }
        return fail(reply.contains("error") && reply["error"].is_string() ? reply["error"].get<std::string>()
                                                                          : reply.dump());
    }
    if (reply.contains("exited")) {
        std::cout << "exited with code " << reply["exited"].dump() << "\n";
    } else if (verb == "break") {
        std::cout << "breakpoint " << reply.value("breakpoint", 0u) << ": " << *argument << "\n";
    } else if (verb == "clear") {
        std::cout << "cleared\n";
    } else if (verb == "continue") {
        // Runs to the next stop: a breakpoint, a pause by another client, or the end.
        auto deadline = std::chrono::steady_clock::now() + to_ms(timeout_s);
        for (;;) {
            for (auto& m : client->poll_messages()) {
                if (m.is_reply) continue;
                if (m.body.contains("exited")) {
                    std::cout << "exited with code " << m.body["exited"].dump() << "\n";
                    return 0;
                }
                if (m.body.value("paused", false)) {
                    std::cout << position_text(m.body) << "\n";
                    return 0;
                }
            }
            if (std::chrono::steady_clock::now() >= deadline ||
                client->current_state() != inspector::live_client::state::connected)
                break;
            client->wait_activity(std::chrono::milliseconds(50));
        }
        if (auto code = client->exit_code()) std::cout << "exited with code " << *code << "\n";
        else std::cout << "running\n";
    } else if (reply.value("paused", false)) {
        std::cout << position_text(reply) << "\n";
    } else if (reply.contains("paused")) {
        std::cout << "running\n";
    } else {
        std::cout << reply.dump() << "\n";
    }
    return 0;
}

} // namespace

command add_control(CLI::App& app) {
    struct options {
        std::string address, verb, token;
        std::optional<std::string> argument;
        double timeout = 10;
    };
    auto o = std::make_shared<options>();
    auto* sub =
        app.add_subcommand("control", "send one command to a live program and print the state it leaves it in");
    sub->add_option("address", o->address, "127.0.0.1:PORT, localhost:PORT, [::1]:PORT or unix:PATH")->required();
    sub->add_option("command", o->verb, "status, pause, resume, continue, step, tick, break or clear")->required();
    sub->add_option("argument", o->argument,
                    std::string("step/tick: how many (default 1); break: ") + spec_help + "; clear: a breakpoint id (default all)");
    sub->add_option("--token", o->token, "the program's COROSCOPE_TOKEN");
    sub->add_option("--timeout", o->timeout,
                    "seconds to wait for the connection, for the reply and (continue) for the next stop");
    return {sub, [o] { return control(o->address, o->verb, o->argument, o->token, o->timeout); }};
}

} // namespace coroscope::cli
