#pragma once
// Live mode: a program the window is connected to, launched as a child process
// (`coroscope launch`) or already running (`coroscope attach`). Wraps inspector::live_client (which
// runs the connection on its own thread) for the frame loop: poll() once per frame moves new events
// into the model and turns replies and notices into text for the controls. No ImGui here.
#include "time_budget.hpp"

#include <coroscope/inspector/live_client.hpp>
#include <coroscope/inspector/page_reserve.hpp>
#include <coroscope/inspector/model.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace coroscope::gui {

// A breakpoint as the user asked for it (traces/README.md, "Live link", command `break`).
struct breakpoint_spec {
    enum class kind { spawn, resume, ready, exception, long_step, lint };
    kind what = kind::spawn;
    std::uint64_t value = 0; // resume: task id; ready: resource id (0 = any); long_step: milliseconds; lint: its long-step limit in ms (0 = the agent's 10)
};
nlohmann::json to_json(const breakpoint_spec& b);
std::string describe(const breakpoint_spec& b); // "resume of task 3", "step longer than 5 ms"
// Parses "spawn", "resume:N", "ready[:N]", "exception", "long_step:N", "lint[:MS]" (command-line scripts).
std::optional<breakpoint_spec> parse_breakpoint(std::string_view text);

// Resolves what `coroscope launch PROGRAM` runs: a bare name (no '/') is bin/sample-NAME next to
// this executable when that exists (or bin/NAME), otherwise a path (or a name looked up in PATH).
std::string resolve_program(const std::string& program);

class live_link {
public:
    enum class phase {
        starting,     // launched; waiting for the program's socket to appear
        connecting,   // connecting / handshaking
        connected,    // events stream in; commands can be sent
        exited,       // the program ended (exit notice or child reaped)
        disconnected, // the connection ended while the program may still run
        failed,       // never connected
    };

    // Starts `program args...` with COROSCOPE_LISTEN=unix:<private dir>/live.sock and
    // COROSCOPE_PAUSED=1. When `paused` is false the link sends `continue` right after the welcome,
    // so the inspector still sees the run from its first event. Never null; failures end up in phase().
    static std::unique_ptr<live_link> launch(const std::string& program, const std::vector<std::string>& args,
                                             bool paused);
    // Connects to a program already listening at `address`.
    static std::unique_ptr<live_link> attach(const std::string& address, const std::string& token);

    // Disconnects; a launched child still running gets SIGTERM (then SIGKILL) and is reaped; the
    // private socket directory is removed.
    ~live_link();
    live_link(const live_link&) = delete;
    live_link& operator=(const live_link&) = delete;

    // Once per frame: connects when the socket appears, takes replies and notices, moves the new
    // events into `m` (after the replies, so a step's events are in when its reply is seen) and
    // reaps the child. Returns how many events were delivered.
    // `budget_s` bounds the time spent folding events (live_link::drain_budget for a frame's share).
    std::uint64_t poll(inspector::model& m, double budget_s = drain_budget_s);

    // Polls until the link is connected (or failed), at most `timeout`: called before the first
    // frame so that a program launched without --paused is continued at once, not after the
    // window's first (slow) frame.
    void settle(inspector::model& m, std::chrono::milliseconds timeout);

    phase current_phase() const { return m_phase; }
    std::string_view phase_name() const; // connecting, connected, exited, disconnected, failed
    // One line for the controls: "connected to sample-nested pid 42", "program exited with code 0", ...
    std::string status_text() const;
    const std::string& program() const { return m_program_name; }
    const std::string& address() const { return m_address; }
    bool launched() const { return m_pid > 0; }
    std::optional<int> exit_code() const; // from the child's status, else from the exit notice

    bool can_command() const { return m_phase == phase::connected; }
    bool paused() const { return m_paused; }
    std::uint64_t paused_step() const { return m_paused_step; }
    // How many pause notices arrived (a script waits for the next one after `continue`).
    std::uint64_t pause_notices() const { return m_pause_notices; }

    // The last poll() stopped folding at its time budget with the stream's bytes still waiting
    // (a program that streams faster than the model folds): the window is behind the program.
    bool behind() const { return m_behind; }
    // The stream's bytes one poll() decodes per drain; the drain's share of a frame's budget for
    // work that can wait (frame_budget: the answers' folds get what it leaves, at least the rest);
    // the time poll() may spend draining when given no budget (before the first frame).
    static constexpr std::size_t drain_slice_bytes = 16 * 1024; // ~5 000 events of a binary stream
    static constexpr double drain_share = 0.7;
    static constexpr double drain_budget_s = 0.0035;
    static double drain_budget(const frame_budget& frame) { return drain_share * frame.work_s(); }

    // Events the program reported as dropped (sum over `dropped` events) and connections lost.
    std::uint64_t dropped_events() const { return m_dropped; }
    int disconnections() const { return m_disconnections; }

    // The last reply or notice, as one line.
    const std::string& last_message() const { return m_last; }
    bool last_message_is_error() const { return m_last_error; }

    // Commands. Each returns its id, or 0 when nothing was sent (not connected).
    std::uint64_t pause();
    std::uint64_t resume();
    std::uint64_t step(std::uint64_t count = 1);
    std::uint64_t tick(std::uint64_t count = 1);
    std::uint64_t add_breakpoint(const breakpoint_spec& b);
    std::uint64_t remove_breakpoint(std::uint32_t id); // 0 = all
    // The reply to command `id` arrived, or it never will (the connection ended).
    bool answered(std::uint64_t id) const;
    // Whether the reply to `id` said ok (false while unanswered).
    bool succeeded(std::uint64_t id) const;

    struct breakpoint {
        std::uint32_t id = 0;
        breakpoint_spec spec;
        std::uint64_t hits = 0;
    };
    const std::vector<breakpoint>& breakpoints() const { return m_breakpoints; }
    std::uint32_t last_hit_breakpoint() const { return m_last_hit; }

private:
    live_link() = default;
    void spawn_child(const std::string& program, const std::vector<std::string>& args);
    void connect();
    void reap_child(bool block);
    void handle(const inspector::live_client::message& msg);
    std::uint64_t send(nlohmann::json command, std::string what);
    void set_last(std::string text, bool error);

    phase m_phase = phase::starting;
    std::string m_failure;            // why failed / disconnected
    std::string m_address;            // "unix:/tmp/coroscope-live-XXXX/live.sock", or as attached
    std::string m_token;
    std::string m_socket_path;        // launched: the socket file waited for
    std::string m_temp_dir;           // launched: removed at the end
    std::string m_program_name;       // basename, or the welcome's program name
    std::unique_ptr<inspector::live_client> m_client;
    // While the link lives the model grows on the window's thread, inside frames: its next blocks
    // are faulted in ahead on another thread (page_reserve.hpp says why).
    inspector::page_reserve m_pages;
    std::chrono::steady_clock::time_point m_started;
    bool m_resume_after_welcome = false;

    pid_t m_pid = -1;                 // launched child, until reaped
    bool m_reaped = false;
    int m_child_status = 0;           // waitpid status once reaped
    std::optional<int> m_notice_exit; // from the exit notice
    std::uint64_t m_remote_pid = 0;   // from the welcome

    bool m_paused = false;
    std::uint64_t m_paused_step = 0;
    std::uint64_t m_pause_notices = 0;
    std::uint64_t m_dropped = 0;
    bool m_behind = false;
    std::size_t m_scanned_events = 0; // model events already checked for `dropped`
    int m_disconnections = 0;
    std::string m_last;
    bool m_last_error = false;

    struct pending {
        std::string what;               // "step", "break", ...
        std::optional<breakpoint_spec> spec;
        std::uint32_t clear_id = 0;
    };
    std::map<std::uint64_t, pending> m_pending;
    std::map<std::uint64_t, bool> m_done; // answered command ids -> ok
    std::vector<breakpoint> m_breakpoints;
    std::uint32_t m_last_hit = 0;
};

} // namespace coroscope::gui
