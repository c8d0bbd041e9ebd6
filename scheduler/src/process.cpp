#include "io_internal.hpp"

#include <coroscope/cancel.hpp>
#include <coroscope/process.hpp>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <sys/wait.h>

namespace coroscope {

using traces::io_direction;

namespace detail {

struct process_state final : io_resource {
    explicit process_state(scheduler& owner) : io_resource(owner, traces::resource_kind::process) {}
    uv_process_t proc{};
    uv_handle_t* handle() noexcept override { return reinterpret_cast<uv_handle_t*>(&proc); }
    std::vector<exit_awaiter*> waiters;
    int pid = 0;
    bool exited = false;
    std::int64_t exit_status = 0;
    int term_signal = 0;

    int exit_code() const { return term_signal != 0 ? 128 + term_signal : static_cast<int>(exit_status); }
    void before_close() override;
    // The process keeps the loop alive only while somebody waits for it.
    void update_ref() {
        if (closing || !handle_live) return;
        if (waiters.empty()) uv_unref(handle());
        else uv_ref(handle());
    }
};

struct process_io {
    static void on_exit(uv_process_t* handle, std::int64_t exit_status, int term_signal) {
        auto* self = state_of<process_state>(handle);
        self->sched->note_callback();
        self->exited = true;
        self->exit_status = exit_status;
        self->term_signal = term_signal;
        if (self->waiters.empty()) // nobody waits yet: record the exit anyway
            self->sched->emit_now(traces::event_kind::io_ready, 0, static_cast<std::uint8_t>(io_direction::exit), self->id,
                                  static_cast<std::uint64_t>(self->exit_code()));
        wake_all(*self);
    }
    static void wake_all(process_state& self) {
        for (exit_awaiter* waiter : std::exchange(self.waiters, {}))
            self.wake(waiter->m_task, io_direction::exit, self.exited ? self.exit_code() : UV_ECANCELED);
    }
};

void process_state::before_close() { process_io::wake_all(*this); }

inline process_state* as_process(const io_ref& ref) { return static_cast<process_state*>(ref.get()); }

} // namespace detail

using detail::as_process;

// --- wait ---------------------------------------------------------------------------------------

bool exit_awaiter::await_ready() const noexcept {
    detail::process_state* self = as_process(m_process);
    return detail::cancel_pending() || !self || self->exited || self->closing;
}

void exit_awaiter::await_suspend(std::coroutine_handle<> waiting) {
    detail::process_state* self = as_process(m_process);
    self->waiters.push_back(this);
    m_task = detail::current.task;
    self->suspend(*m_task, waiting, io_direction::exit, &exit_awaiter::unwait, this);
    self->update_ref();
}

int exit_awaiter::await_resume() {
    detail::throw_if_cancelled();
    detail::process_state* self = as_process(m_process);
    if (!self || !self->exited) throw_io_error(UV_ECANCELED, "wait for", self ? self->label : "a finished process");
    return self->exit_code();
}

void exit_awaiter::unwait(detail::task_record&, void* self) { static_cast<exit_awaiter*>(self)->detach(); }

void exit_awaiter::detach() noexcept {
    if (!m_task) return;
    m_task = nullptr;
    detail::process_state* self = as_process(m_process);
    std::erase(self->waiters, this);
    self->update_ref();
}

// --- process ------------------------------------------------------------------------------------

process process::spawn(std::string file, std::vector<std::string> args, process_options options) {
    scheduler* sched = scheduler::current();
    if (!sched) throw std::logic_error("process::spawn outside a running task");
    detail::ignore_sigpipe();

    process child;
    auto* state = new detail::process_state(*sched); // first, so its id comes before its pipes'
    child.m_state = detail::io_ref(state);
    bool piped[3] = {options.pipe_stdin, options.pipe_stdout, options.pipe_stderr};
    pipe_stream* ends[3] = {&child.m_stdin, &child.m_stdout, &child.m_stderr};
    uv_stdio_container_t stdio[3];
    for (int i = 0; i < 3; ++i) {
        if (piped[i]) {
            detail::io_ref pipe = detail::new_pipe_state(*sched);
            stdio[i].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | (i == 0 ? UV_READABLE_PIPE : UV_WRITABLE_PIPE));
            stdio[i].data.stream = detail::as_stream(pipe)->stream();
            *ends[i] = detail::pipe_io::make(std::move(pipe));
        } else if (i == 0) {
            stdio[i].flags = UV_IGNORE;
        } else {
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = i;
        }
    }

    std::vector<std::string> argv_text;
    argv_text.push_back(file);
    for (auto& a : args) argv_text.push_back(std::move(a));
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : options.env) envp.push_back(e.data());
    envp.push_back(nullptr);

    uv_process_options_t spawn_options{};
    spawn_options.exit_cb = &detail::process_io::on_exit;
    spawn_options.file = file.c_str();
    spawn_options.args = argv.data();
    spawn_options.env = options.env.empty() ? nullptr : envp.data();
    spawn_options.cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
    spawn_options.stdio_count = 3;
    spawn_options.stdio = stdio;

    int rc = uv_spawn(sched->loop(), &state->proc, &spawn_options);
    state->handle_initialized(); // uv_spawn initializes the handle even when it fails
    if (rc != 0) throw_io_error(rc, "spawn", file); // child's destructor closes the handle and pipes
    state->pid = state->proc.pid;
    state->opened("process " + file + " (pid " + std::to_string(state->pid) + ")");
    const char* names[3] = {"stdin", "stdout", "stderr"};
    for (int i = 0; i < 3; ++i)
        if (piped[i])
            detail::pipe_io::state(*ends[i])->opened("pipe " + std::string(names[i]) + " of " + file + " (pid " +
                                                     std::to_string(state->pid) + ")");
    state->update_ref();
    return child;
}

process& process::operator=(process&& other) noexcept {
    if (this != &other) {
        finish();
        m_state = std::move(other.m_state);
        m_stdin = std::move(other.m_stdin);
        m_stdout = std::move(other.m_stdout);
        m_stderr = std::move(other.m_stderr);
    }
    return *this;
}

process::~process() { finish(); }

void process::finish() noexcept {
    detail::process_state* self = as_process(m_state);
    if (!self || self->closing) return;
    bool running = self->pid > 0 && !self->exited;
    if (running) uv_process_kill(&self->proc, SIGKILL);
    self->close();
    if (running) {
        // libuv forgets a closed process handle, so reap the child here (SIGKILL makes this quick).
        while (::waitpid(self->pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    m_state.reset();
}

int process::pid() const noexcept { return m_state ? as_process(m_state)->pid : 0; }
std::uint32_t process::id() const noexcept { return m_state ? m_state.get()->id : 0; }
std::string process::label() const { return m_state ? m_state.get()->label : std::string(); }
bool process::exited() const noexcept { return m_state && as_process(m_state)->exited; }
int process::term_signal() const noexcept { return m_state ? as_process(m_state)->term_signal : 0; }

void process::kill(int signum) {
    detail::process_state* self = as_process(m_state);
    if (!self || self->closing) throw_io_error(UV_ESRCH, "kill", "a finished process");
    if (self->exited) return;
    if (int rc = uv_process_kill(&self->proc, signum); rc != 0) throw_io_error(rc, "kill", self->label);
}

} // namespace coroscope
