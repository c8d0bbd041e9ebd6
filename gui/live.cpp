#include "live.hpp"
#include "recorder.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace coroscope::gui {

namespace {

constexpr auto socket_wait = std::chrono::seconds(5); // how long a launched program has to listen

bool contains_nocase(std::string_view text, std::string_view what) {
    auto it = std::search(text.begin(), text.end(), what.begin(), what.end(),
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
    return it != text.end();
}

std::string basename_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string signal_text(int sig) {
    const char* name = strsignal(sig);
    return "signal " + std::to_string(sig) + (name ? " (" + std::string(name) + ")" : "");
}

} // namespace

nlohmann::json to_json(const breakpoint_spec& b) {
    using k = breakpoint_spec::kind;
    switch (b.what) {
    case k::spawn: return {{"kind", "spawn"}};
    case k::resume: return {{"kind", "resume"}, {"task", b.value}};
    case k::ready: return {{"kind", "ready"}, {"resource", b.value}};
    case k::exception: return {{"kind", "exception"}};
    case k::long_step: return {{"kind", "long_step"}, {"ms", b.value}};
    case k::lint: return b.value == 0 ? nlohmann::json{{"kind", "lint"}} : nlohmann::json{{"kind", "lint"}, {"ms", b.value}};
    }
    return {{"kind", "spawn"}};
}

std::string describe(const breakpoint_spec& b) {
    using k = breakpoint_spec::kind;
    switch (b.what) {
    case k::spawn: return "any task spawn";
    case k::resume: return "resume of task " + std::to_string(b.value);
    case k::ready: return b.value == 0 ? "any resource ready" : "resource " + std::to_string(b.value) + " ready";
    case k::exception: return "exception thrown";
    case k::long_step: return "step longer than " + std::to_string(b.value) + " ms";
    case k::lint:
        return "any lint (long step >= " + std::to_string(b.value == 0 ? 10 : b.value) +
               " ms, swallowed exception, never-yielding, starvation, stuck)";
    }
    return "?";
}

std::optional<breakpoint_spec> parse_breakpoint(std::string_view text) {
    using k = breakpoint_spec::kind;
    std::string_view name = text.substr(0, text.find(':'));
    std::string_view arg = name.size() < text.size() ? text.substr(name.size() + 1) : std::string_view{};
    breakpoint_spec b;
    bool needs_value = false;
    if (name == "spawn") b.what = k::spawn;
    else if (name == "exception") b.what = k::exception;
    else if (name == "ready") b.what = k::ready;
    else if (name == "resume") b.what = k::resume, needs_value = true;
    else if (name == "long_step" || name == "long-step") b.what = k::long_step, needs_value = true;
    else if (name == "lint") b.what = k::lint;
    else return std::nullopt;
    if (needs_value && arg.empty()) return std::nullopt;
    if (!arg.empty()) {
        if (b.what == k::spawn || b.what == k::exception) return std::nullopt;
        std::uint64_t v = 0;
        for (char c : arg) {
            if (c < '0' || c > '9' || v > 1'000'000'000'000ull) return std::nullopt;
            v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        b.value = v;
    }
    return b;
}

std::string resolve_program(const std::string& program) {
    if (program.find('/') != std::string::npos) return program;
    std::string dir = executable_dir();
    std::error_code ec;
    if (!dir.empty()) {
        for (const std::string& candidate : {dir + "/sample-" + program, dir + "/" + program})
            if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return program; // looked up in PATH by posix_spawnp
}

std::unique_ptr<live_link> live_link::launch(const std::string& program, const std::vector<std::string>& args,
                                             bool paused) {
    std::unique_ptr<live_link> link(new live_link());
    link->m_started = std::chrono::steady_clock::now();
    link->m_resume_after_welcome = !paused;
    std::string path = resolve_program(program);
    link->m_program_name = basename_of(path);

    // A private directory (mkdtemp: mode 0700) so no other user can reach the socket.
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/coroscope-live-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) {
        link->m_phase = phase::failed;
        link->m_failure = "cannot create a directory for the socket (" + pattern + "): " + std::strerror(errno);
        return link;
    }
    link->m_temp_dir = buf.data();
    link->m_socket_path = link->m_temp_dir + "/live.sock";
    link->m_address = "unix:" + link->m_socket_path;
    link->spawn_child(path, args);
    return link;
}

std::unique_ptr<live_link> live_link::attach(const std::string& address, const std::string& token) {
    std::unique_ptr<live_link> link(new live_link());
    link->m_started = std::chrono::steady_clock::now();
    link->m_address = address;
    link->m_token = token;
    link->m_program_name = address;
    std::string error;
    if (!inspector::parse_live_address(address, error)) {
        link->m_phase = phase::failed;
        link->m_failure = error;
        return link;
    }
    link->connect();
    return link;
}

void live_link::spawn_child(const std::string& path, const std::vector<std::string>& args) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        if (kv.starts_with("COROSCOPE_TRACE=") || kv.starts_with("COROSCOPE_LISTEN=") ||
            kv.starts_with("COROSCOPE_PAUSED=") || kv.starts_with("COROSCOPE_TOKEN=") ||
            kv.starts_with("COROSCOPE_ALLOW_REMOTE="))
            continue;
        env.emplace_back(kv);
    }
    env.push_back("COROSCOPE_LISTEN=" + m_address);
    env.push_back("COROSCOPE_PAUSED=1");
    std::vector<char*> envp;
    for (std::string& kv : env) envp.push_back(kv.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_s{path};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = 0;
    int rc = path.find('/') != std::string::npos ? posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv.data(), envp.data())
                                                 : posix_spawnp(&pid, path.c_str(), nullptr, nullptr, argv.data(), envp.data());
    if (rc != 0) {
        m_phase = phase::failed;
        m_failure = "cannot run " + path + ": " + std::strerror(rc);
        return;
    }
    m_pid = pid;
}

void live_link::connect() {
    inspector::live_client::options opts;
    opts.token = m_token;
    m_client = std::make_unique<inspector::live_client>(m_address, opts);
    m_phase = phase::connecting;
}

void live_link::reap_child(bool block) {
    if (m_pid <= 0 || m_reaped) return;
    int status = 0;
    pid_t r;
    do r = ::waitpid(m_pid, &status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == m_pid || (r < 0 && errno == ECHILD)) {
        m_reaped = true;
        m_child_status = r == m_pid ? status : 0;
    }
}

live_link::~live_link() {
    m_client.reset(); // disconnect first: a paused program is not left waiting on us
    if (m_pid > 0 && !m_reaped) {
        ::kill(m_pid, SIGTERM);
        for (int i = 0; i < 100 && !m_reaped; ++i) {
            reap_child(false);
            if (!m_reaped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!m_reaped) {
            ::kill(m_pid, SIGKILL);
            reap_child(true);
        }
    }
    if (!m_temp_dir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(m_temp_dir, ec);
    }
}

std::optional<int> live_link::exit_code() const {
    if (m_reaped) {
        if (WIFEXITED(m_child_status)) return WEXITSTATUS(m_child_status);
        return std::nullopt;
    }
    return m_notice_exit;
}

std::string_view live_link::phase_name() const {
    switch (m_phase) {
    case phase::starting:
    case phase::connecting: return "connecting";
    case phase::connected: return "connected";
    case phase::exited: return "exited";
    case phase::disconnected: return "disconnected";
    case phase::failed: return "failed";
    }
    return "?";
}

std::string live_link::status_text() const {
    switch (m_phase) {
    case phase::starting: return "starting " + m_program_name + ", waiting for it to listen";
    case phase::connecting: return "connecting to " + m_address;
    case phase::connected:
        return "connected to " + m_program_name + (m_remote_pid ? " pid " + std::to_string(m_remote_pid) : "");
    case phase::exited:
        if (m_reaped && WIFSIGNALED(m_child_status))
            return "program killed by " + signal_text(WTERMSIG(m_child_status));
        if (auto code = exit_code()) return "program exited with code " + std::to_string(*code);
        return "program exited";
    case phase::disconnected: return "disconnected" + (m_failure.empty() ? std::string() : ": " + m_failure);
    case phase::failed: return "failed: " + m_failure;
    }
    return "?";
}

void live_link::set_last(std::string text, bool error) {
    m_last = std::move(text);
    m_last_error = error;
}

std::uint64_t live_link::poll(inspector::model& m, double budget_s) {
    reap_child(false);
    if (m_phase == phase::starting) {
        std::error_code ec;
        if (m_reaped) {
            m_phase = phase::failed;
            m_failure = m_program_name + (WIFSIGNALED(m_child_status) ? " was killed by " + signal_text(WTERMSIG(m_child_status))
                                                                      : " exited with code " + std::to_string(WEXITSTATUS(m_child_status))) +
                        " before it listened (is it built on the Coroscope scheduler?)";
        } else if (std::filesystem::exists(m_socket_path, ec)) {
            connect();
        } else if (std::chrono::steady_clock::now() - m_started > socket_wait) {
            m_phase = phase::failed;
            m_failure = m_program_name + " did not listen at " + m_address + " within 5 s";
        }
    }
    if (!m_client) return 0;

    auto state = m_client->current_state(); // read first: once closed, everything is in the inbox
    if (m_phase == phase::connecting) {
        using st = inspector::live_client::state;
        if (state == st::connected || state == st::closed) {
            m_phase = phase::connected;
            nlohmann::json w = m_client->welcome();
            if (w.is_object()) {
                if (w.contains("program") && w["program"].is_string() && !w["program"].get<std::string>().empty())
                    m_program_name = w["program"].get<std::string>();
                m_remote_pid = w.value("pid", std::uint64_t{0});
                m_paused = w.value("paused", false);
                m_paused_step = w.value("step", std::uint64_t{0});
                if (m_paused) set_last("paused before step " + std::to_string(m_paused_step), false);
                else set_last("running", false);
            }
            if (m_resume_after_welcome && m_paused && state == st::connected) resume();
            m_resume_after_welcome = false;
        } else if (state == st::failed) {
            std::string why = m_client->failure();
            bool retry = m_pid > 0 && !m_reaped && std::chrono::steady_clock::now() - m_started < socket_wait &&
                         (contains_nocase(why, "refused") || contains_nocase(why, "no such file"));
            if (retry) {
                connect(); // the socket file exists but nobody listens yet
                return 0;
            }
            m_phase = phase::failed;
            m_failure = "cannot connect to " + m_address + ": " + (why.empty() ? std::string("no reason given") : why);
        }
    }

    for (const auto& msg : m_client->poll_messages()) handle(msg);
    // What arrived is folded in slices until the frame's budget is spent: a program streaming
    // faster than the model folds leaves the rest to the next frames instead of freezing this one.
    const std::uint64_t delivered =
        run_slices_for(budget_s, [&] { return m_client->drain(m, drain_slice_bytes); }, m_behind);
    const auto& events = m.trace().events;
    for (; m_scanned_events < events.size(); ++m_scanned_events)
        if (events[m_scanned_events].kind == traces::event_kind::dropped) m_dropped += events[m_scanned_events].b;

    if (m_phase == phase::connected && state == inspector::live_client::state::closed && !m_behind) {
        if (auto code = m_client->exit_code()) {
            m_notice_exit = code;
            m_phase = phase::exited;
        } else {
            m_phase = phase::disconnected;
            m_failure = m_client->failure();
            ++m_disconnections;
        }
        m_paused = false;
        for (auto& [id, p] : m_pending) m_done[id] = false; // no reply will come
        m_pending.clear();
    }
    if (m_phase == phase::disconnected && m_reaped) m_phase = phase::exited; // it crashed or was killed
    return delivered;
}

void live_link::settle(inspector::model& m, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while ((m_phase == phase::starting || m_phase == phase::connecting) && std::chrono::steady_clock::now() < end) {
        poll(m);
        if (m_phase == phase::connecting && m_client) m_client->wait_connected(std::chrono::milliseconds(20));
        else if (m_phase == phase::starting) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    poll(m); // the welcome's continue goes out here
}

void live_link::handle(const inspector::live_client::message& msg) {
    const nlohmann::json& b = msg.body;
    if (!b.is_object()) return;
    auto where = [&](const nlohmann::json& j) {
        return "step " + std::to_string(j.value("step", std::uint64_t{0})) + ", tick " +
               std::to_string(j.value("tick", std::uint64_t{0}));
    };
    if (!msg.is_reply) {
        if (b.contains("exited") && b["exited"].is_number_integer()) {
            m_notice_exit = b["exited"].get<int>();
            m_paused = false;
            set_last("program exited with code " + std::to_string(*m_notice_exit), *m_notice_exit != 0);
        } else if (b.value("paused", false)) {
            m_paused = true;
            ++m_pause_notices;
            m_paused_step = b.value("step", std::uint64_t{0});
            std::string why = b.value("why", std::string());
            std::string text = "paused at " + where(b);
            if (why == "breakpoint") {
                auto id = b.value("breakpoint", std::uint32_t{0});
                m_last_hit = id;
                std::string what;
                for (auto& bp : m_breakpoints)
                    if (bp.id == id) {
                        ++bp.hits;
                        what = ": " + describe(bp.spec);
                    }
                text += " (breakpoint " + std::to_string(id) + what + ")";
            } else if (!why.empty()) {
                text += " (" + why + ")";
            }
            set_last(text, false);
        }
        return;
    }
    std::uint64_t id = b.value("id", std::uint64_t{0});
    auto it = m_pending.find(id);
    pending p = it != m_pending.end() ? it->second : pending{"command", std::nullopt, 0};
    if (it != m_pending.end()) m_pending.erase(it);
    bool ok = b.value("ok", false);
    m_done[id] = ok;
    if (!ok) {
        std::string error = b.contains("error") && b["error"].is_string() ? b["error"].get<std::string>() : b.dump();
        set_last(p.what + ": " + error, true);
        return;
    }
    if (p.spec) {
        breakpoint bp;
        bp.id = b.value("breakpoint", std::uint32_t{0});
        bp.spec = *p.spec;
        m_breakpoints.push_back(bp);
        set_last("breakpoint " + std::to_string(bp.id) + " set: " + describe(bp.spec), false);
        return;
    }
    if (p.what == "clear") {
        if (p.clear_id == 0) m_breakpoints.clear();
        else std::erase_if(m_breakpoints, [&](const breakpoint& x) { return x.id == p.clear_id; });
        set_last(p.clear_id == 0 ? "all breakpoints removed" : "breakpoint " + std::to_string(p.clear_id) + " removed", false);
        return;
    }
    if (b.contains("paused")) {
        m_paused = b.value("paused", false);
        if (m_paused) {
            m_paused_step = b.value("step", m_paused_step);
            set_last("paused at " + where(b), false);
        } else {
            set_last("running", false);
        }
    }
}

std::uint64_t live_link::send(nlohmann::json command, std::string what) {
    if (!can_command()) return 0;
    std::uint64_t id = m_client->send_command(std::move(command));
    m_pending[id] = pending{std::move(what), std::nullopt, 0};
    return id;
}

std::uint64_t live_link::pause() { return send({{"cmd", "pause"}}, "pause"); }
std::uint64_t live_link::resume() { return send({{"cmd", "continue"}}, "continue"); }
std::uint64_t live_link::step(std::uint64_t count) { return send({{"cmd", "step"}, {"count", count}}, "step"); }
std::uint64_t live_link::tick(std::uint64_t count) { return send({{"cmd", "tick"}, {"count", count}}, "tick"); }

std::uint64_t live_link::add_breakpoint(const breakpoint_spec& b) {
    std::uint64_t id = send({{"cmd", "break"}, {"breakpoint", to_json(b)}}, "break");
    if (id) m_pending[id].spec = b;
    return id;
}

std::uint64_t live_link::remove_breakpoint(std::uint32_t bp) {
    nlohmann::json cmd = {{"cmd", "clear"}};
    if (bp != 0) cmd["breakpoint"] = bp;
    std::uint64_t id = send(std::move(cmd), "clear");
    if (id) m_pending[id].clear_id = bp;
    return id;
}

bool live_link::answered(std::uint64_t id) const { return id == 0 || m_done.contains(id); }

bool live_link::succeeded(std::uint64_t id) const {
    auto it = m_done.find(id);
    return it != m_done.end() && it->second;
}

} // namespace coroscope::gui
