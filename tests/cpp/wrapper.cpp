// include/spread.hpp as a C++ program sees it: every method, each error path as
// its exception class, moved-from objects. Run by tests/integration/test_install.py (under
// valgrind) one phase at a time, since the sandbox's fault changes in between:
//
//   wrapper offline CLOSED_URL SPOOL_DIR SEED_BODY_FILE CA_FILE
//   wrapper online  BASE_URL   SPOOL_DIR    (delivers what offline spooled)
//   wrapper timeout BASE_URL                (sandbox answers after 3 s)
//   wrapper server  BASE_URL                (sandbox answers 503)
//
// Prints "version: ...", "fields: ...", then "<n> checks, <m> failed".

#include <spread.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {

int checks = 0;
int failures = 0;

void fail(int line, const std::string& message)
{
    ++failures;
    std::cerr << "FAIL wrapper.cpp:" << line << ": " << message << "\n";
}

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        ++checks;                                                                                                      \
        if (!(cond)) fail(__LINE__, #cond);                                                                            \
    } while (0)

bool contains(std::string_view haystack, std::string_view needle)
{
    return haystack.find(needle) != std::string_view::npos;
}

// `call` throws exactly E (not a subclass, not a sibling) with `status`, and
// what() contains `needle`. Returns the flush result the error carried.
template <class E, class F>
std::optional<spread::FlushResult> expect_throw(int line, F&& call, int status, std::string_view needle)
{
    ++checks;
    try {
        call();
        fail(line, std::string("no exception, expected ") + typeid(E).name());
    } catch (const spread::Error& e) {
        if (typeid(e) != typeid(E)) {
            fail(line, std::string("threw ") + typeid(e).name() + " (" + e.what() + "), expected " + typeid(E).name());
        } else if (e.status() != status) {
            fail(line, "status " + std::to_string(e.status()) + ", expected " + std::to_string(status));
        } else if (!contains(e.what(), needle)) {
            fail(line, std::string("message \"") + e.what() + "\" lacks \"" + std::string(needle) + "\"");
        } else if (std::string_view(e.status_name()) != spread::status_name(status)) {
            fail(line, std::string("status_name ") + e.status_name());
        }
        return e.flush_result();
    }
    return std::nullopt;
}
// The call goes last: it may hold commas.
#define EXPECT_THROW(E, status, needle, ...) expect_throw<E>(__LINE__, [&] { __VA_ARGS__; }, status, needle)

// The HTTP status the spread::Error thrown by `call` carries; -1 when nothing was thrown.
template <class F>
int http_status_of(F&& call)
{
    try {
        call();
    } catch (const spread::Error& e) {
        return e.http_status();
    }
    return -1;
}

std::string read_file(const char* path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
}

// The seed integration's order (tests/fixtures/spread-updateOrder-integration.txt)
// through the fluent setters.
spread::Order seed_order()
{
    spread::Order o;
    o.customer_email("john@doe.com")
        .external_id("12345xxx6789")
        .customer_name("Doe")
        .customer_firstname("John")
        .customer_gender("male")
        .customer_address("8, rue de la place")
        .customer_address_2("b\xc3\xa2timent A")
        .customer_address_3("appartement 23")
        .customer_cp("76000")
        .customer_city("Rouen")
        .customer_country("FR")
        .customer_tel("0235000000")
        .customer_mobile("060606606")
        .customer_fonction("developer")
        .customer_company("SPREAD")
        .customer_birthday("1970-12-31")
        .customer_lang("fr_FR")
        .add_tag("tag1")
        .add_tag("tag2")
        .del_tag("tag3")
        .del_tag("tag4")
        .action("order")
        .custom_field(327, "value")
        .order_idorder("0000001")
        .order_state(10)
        .order_amount(158.31)
        .order_crea_dt("2014-06-21 14:31:08")
        .order_start_service("2019-06-05")
        .order_end_service("2019-06-14")
        .add_product({"size:xl", "type:shirt"})
        .add_product()
        .add_product_attribute("size:s")
        .add_product_attribute("color:blue")
        .add_order_tag("tag_commande_1")
        .add_order_tag("tag_commande_2")
        .del_order_tag("tag_commande_3")
        .del_order_tag("tag_commande_4");
    return o;
}

// The setters the seed does not use: cookie, consents, amount as text, field().
spread::Order second_order(std::string_view id)
{
    spread::Order o;
    o.external_id("ext-42")
        .customer_cookie("sbt-cookie-value")
        .consent("newsletter", true)
        .consent("sms", false)
        .order_idorder(id)
        .field("order_state", "20")
        .order_amount("19.90")
        .order_crea_dt("2024-02-29 23:59:59")
        .field("coupon", "WELCOME10");
    return o;
}

const std::string SECOND_BODY =
    "data%5Bexternal_id%5D=ext-42&data%5Bcustomer_cookie%5D=sbt-cookie-value"
    "&data%5Bconsents%5D%5Bnewsletter%5D=1&data%5Bconsents%5D%5Bsms%5D=0&data%5Border_idorder%5D=0000002"
    "&data%5Border_state%5D=20&data%5Border_amount%5D=19.90&data%5Border_crea_dt%5D=2024-02-29+23%3A59%3A59"
    "&data%5Bcoupon%5D=WELCOME10&request%5Border_idorder%5D=0000002";

void check_types()
{
    static_assert(!std::is_copy_constructible_v<spread::Client> && !std::is_copy_assignable_v<spread::Client>);
    static_assert(std::is_nothrow_move_constructible_v<spread::Client> && std::is_nothrow_move_assignable_v<spread::Client>);
    static_assert(!std::is_copy_constructible_v<spread::Order> && !std::is_copy_assignable_v<spread::Order>);
    static_assert(std::is_nothrow_move_constructible_v<spread::Order> && std::is_nothrow_move_assignable_v<spread::Order>);
    static_assert(std::is_base_of_v<std::runtime_error, spread::Error>);
    static_assert(std::is_base_of_v<spread::Network, spread::Timeout>);
    static_assert(std::is_base_of_v<spread::InvalidValue, spread::InvalidUtf8>);
}

void offline(const char* closed_url, const char* spool_dir, const char* seed_body_file, const char* ca_file)
{
    std::cout << "version: " << spread::version() << "\n";
    CHECK(spread::status_name(SPREAD_ERR_TIMEOUT) == "SPREAD_ERR_TIMEOUT");
    CHECK(spread::status_name(12345) == "SPREAD_UNKNOWN_STATUS");
    const std::vector<std::string> fields = spread::field_names();
    std::cout << "fields:";
    for (const std::string& f : fields) std::cout << " " << f;
    std::cout << "\n";

    // ------------------------------------------------------------------ orders
    const std::string seed_body = read_file(seed_body_file);
    CHECK(!seed_body.empty());
    spread::Order seed = seed_order();
    CHECK(seed.encode() == seed_body);
    seed.validate();
    CHECK(second_order("0000002").encode() == SECOND_BODY);

    // A refused value names its field and leaves the order as it was.
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "order_state", seed.order_state(7));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "customer_email", seed.customer_email("no-at-sign"));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "customer_gender", seed.customer_gender("robot"));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "order_amount", seed.order_amount(-1.0));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "order_amount", seed.order_amount("12,50"));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "custom_field", seed.custom_field(0, "v"));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "order_state", seed.field("order_state", "7"));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "product_attributes",
                 seed.add_product_attribute("no colon"));
    EXPECT_THROW(spread::InvalidUtf8, SPREAD_ERR_INVALID_UTF8, "customer_city", seed.customer_city("\xff"));
    // string_view may hold a NUL, which a C string cannot: refused, not cut short.
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "customer_name: contains a NUL",
                 seed.customer_name(std::string_view("Doe\0Evil", 8)));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "NUL", seed.field(std::string_view("a\0b", 3), "v"));
    CHECK(seed.encode() == seed_body);
    bool caught = false;
    try {
        seed.order_state(7);
    } catch (const std::runtime_error& e) {  // what() is libspread's message
        caught = contains(e.what(), "order_state: 7");
    }
    CHECK(caught);

    spread::Order partial;
    partial.customer_email("john@doe.com").order_state(10);
    EXPECT_THROW(spread::MissingField, SPREAD_ERR_MISSING_FIELD, "order_idorder", partial.validate());

    // Moves: the handle travels, the moved-from order is empty but assignable.
    spread::Order moved = std::move(seed);
    CHECK(moved && !seed);
    CHECK(moved.encode() == seed_body);
    CHECK(moved.native() != nullptr && seed.native() == nullptr);
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", seed.customer_email("a@b.c"));
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", seed.encode());
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", seed.validate());
    seed = second_order("0000002");
    CHECK(seed && seed.encode() == SECOND_BODY);
    seed = std::move(moved);  // frees the second order, takes the seed back
    CHECK(seed.encode() == seed_body && !moved);
    auto& alias = seed;
    seed = std::move(alias);  // self-move keeps the order
    CHECK(seed && seed.encode() == seed_body);

    // ------------------------------------------------------------------ client settings
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "public_key", spread::Client("", "PRIVATE_KEY"));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "private_key: contains a NUL",
                 spread::Client("PUBLIC_KEY", std::string_view("PRIVATE\0KEY", 11)));
    spread::Client client("PUBLIC_KEY", "PRIVATE_KEY");
    CHECK(client);
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "base_url", client.base_url("not a url"));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "base_url", client.base_url("http://example.com/api"));
    client.allow_insecure_http().base_url("http://example.com/api");
    client.allow_insecure_http(false);
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "timeout", client.timeout(0ms));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "timeout: -5 ms is out of range", client.timeout(-5ms));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "out of range", client.timeout(std::chrono::hours(24 * 60)));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "connect", client.connect_timeout(0ms));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "attempts", client.max_attempts(0));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "ca_file", client.ca_file("/nonexistent/ca.pem"));
    client.ca_file(ca_file).timeout(5s).connect_timeout(1s).max_attempts(2);
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "spool", client.flush());
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "spool", client.pending());

    // ------------------------------------------------------------------ network
    client.base_url(closed_url).max_attempts(1);
    const std::string host_port = std::string(closed_url).substr(7, std::string(closed_url).find('/', 7) - 7);
    EXPECT_THROW(spread::Network, SPREAD_ERR_NETWORK, host_port, client.send(seed));
    CHECK(http_status_of([&] { client.send(seed); }) == 0);  // no answer at all

    // With a spool the same failure keeps the order for later.
    spread::Options options;
    options.base_url = closed_url;
    options.spool_dir = spool_dir;
    options.timeout = 5s;
    options.connect_timeout = 2s;
    options.max_attempts = 1;
    options.ca_file = ca_file;
    options.allow_insecure_http = true;
    spread::Client spooling("PUBLIC_KEY", "PRIVATE_KEY", options);
    CHECK(spooling.pending() == 0);
    const spread::Response queued = spooling.send(seed);
    CHECK(queued.queued && queued.status == 0 && queued.body.empty());
    CHECK(spooling.send(second_order("0000002")).queued);
    CHECK(spooling.pending() == 2);
    const auto flushed = EXPECT_THROW(spread::Network, SPREAD_ERR_NETWORK, host_port, spooling.flush());
    CHECK(flushed && flushed->delivered == 0 && flushed->remaining == 2);

    // A moved-from client is empty; its successor works.
    spread::Client moved_client = std::move(spooling);
    CHECK(moved_client && !spooling && spooling.native() == nullptr);
    CHECK(moved_client.pending() == 2);
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.send(seed));
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.flush());
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.pending());
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.base_url(closed_url));
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.send_many(std::vector<spread::Order>(), 2));
    spooling = std::move(moved_client);
    CHECK(spooling.pending() == 2 && !moved_client);

    // A moved-from order cannot be sent.
    spread::Order gone = std::move(seed);
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", client.send(seed));
}

void online(const char* base_url, const char* spool_dir)
{
    spread::Client client("PUBLIC_KEY", "PRIVATE_KEY");
    client.base_url(base_url).spool_dir(spool_dir);
    CHECK(client.pending() == 2);  // left by the offline phase
    const spread::FlushResult flushed = client.flush();
    CHECK(flushed.delivered == 2 && flushed.remaining == 0);
    CHECK(client.pending() == 0);

    const spread::Order order = second_order("0000003");
    const spread::Response r = client.send(order);
    CHECK(!r.queued && r.status == 200);
    CHECK(contains(r.body, "\"order_idorder\":\"0000003\"") && contains(r.body, "\"created\":true"));
    CHECK(client.send(order).body.find("\"created\":false") != std::string::npos);  // an update

    // The message names the refusal but never the private key.
    spread::Client wrong_keys("PUBLIC_KEY", "WRONG-SECRET-KEY");
    wrong_keys.base_url(base_url);
    EXPECT_THROW(spread::Auth, SPREAD_ERR_AUTH, "401", wrong_keys.send(order));
    CHECK(http_status_of([&] { wrong_keys.send(order); }) == 401);
    std::string message;
    try {
        wrong_keys.send(order);
    } catch (const spread::Error& e) {
        message = e.what();
    }
    CHECK(!message.empty() && !contains(message, "WRONG-SECRET-KEY"));

    // A batch: each order gets its own status, a refused one does not stop the others.
    std::vector<spread::Order> batch;
    batch.push_back(second_order("0000006"));
    batch.emplace_back().customer_email("nobody@example.com");  // no order_idorder and more
    batch.push_back(second_order("0000007"));
    const spread::SendManyResult many = client.send_many(batch, 2);
    CHECK((many.statuses == std::vector<int>{SPREAD_OK, SPREAD_ERR_MISSING_FIELD, SPREAD_OK}));
    CHECK(contains(many.error, "orders[1]"));
    const spread::SendManyResult none = client.send_many(std::vector<spread::Order>());
    CHECK(none.statuses.empty() && none.error.empty());
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "concurrency: 0 is out of range", client.send_many(batch, 0));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "concurrency: 33 is out of range", client.send_many(batch, 33));

    // Outside /api the sandbox answers 404: SPREAD rejected the request.
    const std::string url(base_url);
    spread::Client lost("PUBLIC_KEY", "PRIVATE_KEY");
    lost.base_url(url.substr(0, url.rfind("/api")));
    EXPECT_THROW(spread::Rejected, SPREAD_ERR_REJECTED, "404", lost.send(order));
}

void timeout(const char* base_url)
{
    spread::Client client("PUBLIC_KEY", "PRIVATE_KEY");
    client.base_url(base_url).timeout(1s).max_attempts(1);
    const spread::Order order = second_order("0000004");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(spread::Timeout, SPREAD_ERR_TIMEOUT, "", client.send(order));
    CHECK(std::chrono::steady_clock::now() - start < 2500ms);
    // The single-threaded sandbox still sleeps on the first request: this one times out too,
    // and a Timeout is caught as a Network error.
    bool caught = false;
    try {
        client.send(order);
    } catch (const spread::Network& e) {
        caught = e.status() == SPREAD_ERR_TIMEOUT;
    }
    CHECK(caught);
}

void server(const char* base_url)
{
    spread::Client client("PUBLIC_KEY", "PRIVATE_KEY");
    client.base_url(base_url).max_attempts(1);
    EXPECT_THROW(spread::Server, SPREAD_ERR_SERVER, "503", client.send(second_order("0000005")));
    CHECK(http_status_of([&] { client.send(second_order("0000005")); }) == 503);
}

}  // namespace

int main(int argc, char** argv)
{
    check_types();
    const std::string phase = argc > 2 ? argv[1] : "";
    try {
        if (phase == "offline" && argc == 6) {
            offline(argv[2], argv[3], argv[4], argv[5]);
        } else if (phase == "online" && argc == 4) {
            online(argv[2], argv[3]);
        } else if (phase == "timeout" && argc == 3) {
            timeout(argv[2]);
        } else if (phase == "server" && argc == 3) {
            server(argv[2]);
        } else {
            std::cerr << "usage: see the top of tests/cpp/wrapper.cpp\n";
            return 2;
        }
    } catch (const std::exception& e) {
        fail(__LINE__, std::string("unexpected exception: ") + e.what());
    }
    std::cout << checks << " checks, " << failures << " failed\n";
    return failures == 0 ? 0 : 1;
}
