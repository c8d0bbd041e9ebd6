// sample-echo: a TCP echo server on 127.0.0.1 (an ephemeral port) and N client tasks that each send
// M messages of seeded random sizes and check every echo. Exits 0 when every echo matched.
//
//   main ─┬─ server ── accepts N connections, spawns one "session i" per connection (echo until EOF)
//         └─ client i (N of them) ── connect → M × (write message, read_exact the echo, compare) → shutdown
//
//   sample-echo [--clients N] [--messages M] [--seed S]      (defaults: 4 clients, 20 messages, seed 1)
#include <coroscope/coroscope.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using coroscope::task;
using coroscope::tcp_listener;
using coroscope::tcp_stream;

namespace sample {

struct options {
    int clients = 4;
    int messages = 20;
    std::uint64_t seed = 1;
};

// splitmix64: tiny and the same everywhere, so a seed always gives the same messages.
std::uint64_t next_random(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

task<std::size_t> session(tcp_stream connection) {
    std::size_t echoed = 0;
    char buffer[512];
    for (;;) {
        std::size_t n = co_await connection.read_some(buffer);
        if (n == 0) break; // the client shut down its side
        co_await connection.write(std::string_view(buffer, n));
        echoed += n;
    }
    co_await connection.close();
    co_return echoed;
}

task<std::size_t> server(tcp_listener& listener, int connections) {
    std::vector<coroscope::join_handle<std::size_t>> sessions;
    for (int i = 0; i < connections; ++i) {
        tcp_stream connection = co_await listener.accept();
        sessions.push_back(coroscope::spawn(session(std::move(connection)), "session " + std::to_string(i)));
    }
    std::size_t echoed = 0;
    for (auto& s : sessions) echoed += co_await s;
    co_return echoed;
}

task<bool> round_trip(tcp_stream& connection, const std::string& message) {
    co_await connection.write(message);
    std::string echo(message.size(), '\0');
    co_await connection.read_exact(echo);
    co_return echo == message;
}

task<int> client(int port, int id, int messages, std::uint64_t seed) {
    tcp_stream connection = co_await coroscope::tcp_connect("127.0.0.1", port);
    std::uint64_t random = seed * 1000 + static_cast<std::uint64_t>(id);
    int mismatches = 0;
    for (int m = 0; m < messages; ++m) {
        std::size_t size = 1 + next_random(random) % 300;
        std::string message = "client " + std::to_string(id) + " message " + std::to_string(m) + ":";
        while (message.size() < size) message += static_cast<char>('a' + next_random(random) % 26);
        if (!co_await round_trip(connection, message)) ++mismatches;
    }
    co_await connection.shutdown();
    char rest[1];
    if (co_await connection.read_some(rest) != 0) ++mismatches; // the server echoes nothing more
    co_return mismatches;
}

task<int> main_task(options opts) {
    tcp_listener listener("127.0.0.1", 0);
    std::printf("echo server on 127.0.0.1:%d, %d clients x %d messages (seed %llu)\n", listener.port(), opts.clients,
                opts.messages, static_cast<unsigned long long>(opts.seed));
    auto serving = coroscope::spawn(server(listener, opts.clients), "server");
    std::vector<coroscope::join_handle<int>> clients;
    for (int i = 0; i < opts.clients; ++i)
        clients.push_back(coroscope::spawn(client(listener.port(), i, opts.messages, opts.seed), "client " + std::to_string(i)));
    int mismatches = 0;
    for (auto& c : clients) mismatches += co_await c;
    std::size_t echoed = co_await serving;
    std::printf("echoed %zu bytes, %d mismatches\n", echoed, mismatches);
    co_return mismatches == 0 ? 0 : 1;
}

bool parse(int argc, char** argv, options& opts) {
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (i + 1 >= argc) return false;
        char* end = nullptr;
        unsigned long long value = std::strtoull(argv[++i], &end, 10);
        if (*end != '\0') return false;
        if (flag == "--clients" && value >= 1 && value <= 1000) opts.clients = static_cast<int>(value);
        else if (flag == "--messages" && value <= 100000) opts.messages = static_cast<int>(value);
        else if (flag == "--seed") opts.seed = value;
        else return false;
    }
    return true;
}

} // namespace sample

int main(int argc, char** argv) {
    sample::options opts;
    if (!sample::parse(argc, argv, opts)) {
        std::fprintf(stderr, "usage: %s [--clients N (1..1000)] [--messages M] [--seed S]\n", argv[0]);
        return 2;
    }
    return coroscope::run(sample::main_task(opts), "main");
}
