// sample-nested: nested coroutine calls, sleeps, joins and an exception caught two frames up.
//
//   main ─┬─ loader "alpha"  ─ load_file → read_block → checksum   (4 frames deep)
//         ├─ loader "beta"   ─ ...        and spawns its own "beta.prefetch" helper
//         ├─ loader "gamma"
//         ├─ orders          ─ fetch_order → parse_order → validate_quantity  (throws; caught in fetch_order)
//         └─ heartbeat       ─ a periodic sleeper that main joins last
#include <coroscope/coroscope.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using coroscope::task;

namespace sample {

task<int> checksum(int block) {
    co_await coroscope::sleep_for(1ms);
    co_return (block * 31 + 7) % 97;
}

task<int> read_block(int block) {
    co_await coroscope::yield();
    int sum = co_await checksum(block);
    co_return sum;
}

task<int> prefetch(int blocks) {
    int sum = 0;
    for (int i = 0; i < blocks; ++i) sum += co_await read_block(100 + i);
    co_return sum;
}

task<int> load_file(std::string name, int blocks) {
    int sum = 0;
    for (int i = 0; i < blocks; ++i) sum += co_await read_block(i);
    if (name == "beta") {
        // A loader that spawns a helper task of its own and joins it.
        auto helper = coroscope::spawn(prefetch(2), name + ".prefetch");
        sum += co_await helper;
    }
    co_return sum;
}

task<void> validate_quantity(int order, int quantity) {
    co_await coroscope::sleep_for(2ms);
    if (quantity < 0)
        throw std::invalid_argument("order " + std::to_string(order) + ": quantity " + std::to_string(quantity) +
                                    " is negative");
}

task<int> parse_order(int order, int quantity) {
    co_await validate_quantity(order, quantity);
    co_return order * 10 + quantity;
}

task<int> fetch_order(int order, int quantity) {
    try {
        co_return co_await parse_order(order, quantity);
    } catch (const std::invalid_argument& e) {
        std::printf("fetch_order caught: %s\n", e.what());
    }
    co_return -1;
}

task<int> orders() {
    int accepted = 0;
    for (int q : {3, -2, 5}) {
        if (co_await fetch_order(accepted + 1, q) >= 0) ++accepted;
    }
    co_return accepted;
}

task<void> heartbeat(int beats) {
    for (int i = 0; i < beats; ++i) co_await coroscope::sleep_for(3ms);
}

task<int> main_task() {
    auto alpha = coroscope::spawn(load_file("alpha", 3), "loader alpha");
    auto beta = coroscope::spawn(load_file("beta", 2), "loader beta");
    auto gamma = coroscope::spawn(load_file("gamma", 4), "loader gamma");
    auto order_task = coroscope::spawn(orders(), "orders");
    auto beat = coroscope::spawn(heartbeat(4), "heartbeat");

    int total = co_await alpha + co_await beta + co_await gamma;
    int accepted = co_await order_task;
    co_await beat;
    std::printf("checksum total %d, orders accepted %d\n", total, accepted);
    co_return accepted == 2 ? 0 : 1;
}

} // namespace sample

int main() { return coroscope::run(sample::main_task(), "main"); }
