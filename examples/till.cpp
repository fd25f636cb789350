// A till that is offline half the day, in C++ (include/spread.hpp).
//
// Each sale is sent to SPREAD as it is rung up. With a spool folder set, a
// sale that cannot be delivered now (no network, SPREAD down) is kept on disk
// and send() answers `queued`: the customer is not kept waiting and nothing is
// lost, even if the till is switched off. At the start of each shift the till
// flushes the spool, which delivers what was kept, oldest first.
//
// usage: till_cpp BASE_URL SPOOL_DIR morning|afternoon
// keys:  SPREAD_PUBLIC_KEY and SPREAD_PRIVATE_KEY (default: the sandbox's)
// build: c++ -std=c++17 till.cpp $(pkg-config --cflags --libs spread) -o till_cpp

#include <spread.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <iostream>
#include <string>
#include <string_view>

namespace {

struct Sale {
    std::string_view shift;
    std::string_view receipt;  // order_idorder: sending it again updates the order
    std::string_view email;
    std::string_view amount;   // as text: sent exactly, no float rounding
    std::initializer_list<std::string_view> attributes;
};

const Sale sales[] = {
    {"morning", "T-1001", "anna@example.com", "24.90", {"type:coffee beans", "size:1kg"}},
    {"morning", "T-1002", "ben@example.com", "7.50", {"type:croissant"}},
    {"afternoon", "T-1003", "chloe@example.com", "158.31", {"type:grinder", "color:black"}},
    {"afternoon", "T-1004", "anna@example.com", "3.20", {"type:espresso"}},
};

std::string env_or(const char* name, const char* fallback)
{
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

std::string utc_now()  // SPREAD wants UTC
{
    char now[20];
    const std::time_t t = std::time(nullptr);
    std::strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
    return now;
}

spread::Order ring_up(const Sale& sale)
{
    spread::Order order;
    order.customer_email(sale.email)
        .order_idorder(sale.receipt)
        .order_state(20)  // paid at the till
        .order_amount(sale.amount)
        .order_crea_dt(utc_now())
        .add_order_tag("till")
        .add_product(sale.attributes);
    return order;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string_view shift = argc == 4 ? argv[3] : "";
    if (shift != "morning" && shift != "afternoon") {
        std::cerr << "usage: " << argv[0] << " BASE_URL SPOOL_DIR morning|afternoon\n";
        return 2;
    }
    std::cout << "libspread " << spread::version() << ", " << shift << " shift\n";

    try {
        spread::Options options;
        options.base_url = argv[1];
        options.spool_dir = argv[2];
        options.timeout = std::chrono::seconds(10);  // a customer is waiting
        const spread::Client client(env_or("SPREAD_PUBLIC_KEY", "PUBLIC_KEY"),
                                    env_or("SPREAD_PRIVATE_KEY", "PRIVATE_KEY"), options);

        // Catch up: deliver what earlier shifts could not.
        try {
            const spread::FlushResult flushed = client.flush();
            std::cout << "flush: " << flushed.delivered << " delivered, " << flushed.remaining << " waiting\n";
        } catch (const spread::Error& e) {  // network, timeout, 5xx: try again later
            const spread::FlushResult done = e.flush_result().value_or(spread::FlushResult{});
            std::cout << "flush: still offline (" << e.status_name() << "), " << done.delivered << " delivered, "
                      << done.remaining << " waiting\n";
        }

        int failures = 0;
        for (const Sale& sale : sales) {
            if (sale.shift != shift) {
                continue;
            }
            try {
                // A till that must never wait at all would hand the sale over instead with
                // client.enqueue(ring_up(sale)): on disk at once, delivered by a background
                // thread (or by the next flush, if the till is switched off first).
                const spread::Response response = client.send(ring_up(sale));
                if (response.queued) {
                    std::cout << "sale " << sale.receipt << ": kept in the spool, SPREAD is unreachable\n";
                } else {
                    std::cout << "sale " << sale.receipt << ": delivered (HTTP " << response.status << ")\n";
                }
            } catch (const spread::Error& e) {  // refused: fix the data, the spool would not help
                std::cerr << sale.receipt << ": " << e.status_name() << ": " << e.what() << "\n";
                ++failures;
            }
        }

        std::cout << "closing: " << client.pending() << " order(s) waiting for SPREAD\n";
        return failures == 0 ? 0 : 1;
    } catch (const spread::Error& e) {
        std::cerr << "configuration: " << e.status_name() << ": " << e.what() << "\n";
        return 1;
    }
}
