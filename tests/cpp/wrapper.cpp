// include/spread.hpp as a C++ program sees it: every method, each error path as
// its exception class (checked against the library's own class tree for every
// status code), moved-from objects, the logger, batches with per-order results
// and progress, enqueue, the drop-in path and the spool's maintenance calls.
// Run by tests/integration/test_install.py (under valgrind) one phase at a time,
// since the sandbox's fault changes in between:
//
//   wrapper offline CLOSED_URL SPOOL_DIR SEED_BODY_FILE CA_FILE
//   wrapper online  BASE_URL   SPOOL_DIR TUNNEL (offline's entries are another destination's:
//                                           left alone; orders 0000001 and 0000002 sent again;
//                                           TUNNEL: a CONNECT proxy to the sandbox, for any_order)
//   wrapper timeout BASE_URL                (sandbox answers after 3 s)
//   wrapper server  BASE_URL                (sandbox answers 503)
//
// Prints "version: ...", "fields: ...", then "<n> checks, <m> failed".

#include <spread.hpp>

#include <cxxabi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
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

// The seed's $post_data for a small order as json_encode() writes it; `extra` goes into data.
std::string post_data(std::string_view id, std::string_view extra = "")
{
    return std::string(R"({"data":{"customer_email":"json@example.com",)") + std::string(extra) + R"("order_idorder":")" +
           std::string(id) + R"(","order_state":20,"order_amount":12.5,"order_crea_dt":"2024-01-02 03:04:05"},"request":{"order_idorder":")" +
           std::string(id) + R"("}})";
}

// What a logger saw, from any thread.
struct Seen {
    std::mutex mutex;
    std::vector<spread::LogRecord> records;
    std::vector<std::thread::id> threads;

    spread::Logger logger()
    {
        return [this](const spread::LogRecord& r) {
            const std::lock_guard<std::mutex> lock(mutex);
            records.push_back(r);
            threads.push_back(std::this_thread::get_id());
        };
    }
    std::size_t count(std::string_view event)
    {
        const std::lock_guard<std::mutex> lock(mutex);
        std::size_t n = 0;
        for (const spread::LogRecord& r : records) {
            if (r.event == event) ++n;
        }
        return n;
    }
    bool from_another_thread()
    {
        const std::lock_guard<std::mutex> lock(mutex);
        for (const std::thread::id& t : threads) {
            if (t != std::this_thread::get_id()) return true;
        }
        return false;
    }
    // No record carries a key or the Basic credentials made of them.
    bool clean()
    {
        const std::lock_guard<std::mutex> lock(mutex);
        for (const spread::LogRecord& r : records) {
            for (const std::string* text : {&r.event, &r.message, &r.context_json}) {
                if (contains(*text, "PRIVATE_KEY") || contains(*text, "UFVCTElDX0tFWTpQUklWQVRFX0tFWQ")) return false;
            }
        }
        return true;
    }
};

void check_types()
{
    static_assert(!std::is_copy_constructible_v<spread::Client> && !std::is_copy_assignable_v<spread::Client>);
    static_assert(std::is_nothrow_move_constructible_v<spread::Client> && std::is_nothrow_move_assignable_v<spread::Client>);
    static_assert(std::is_copy_constructible_v<spread::Order> && std::is_copy_assignable_v<spread::Order>);
    static_assert(std::is_nothrow_move_constructible_v<spread::Order> && std::is_nothrow_move_assignable_v<spread::Order>);
    static_assert(std::is_base_of_v<std::runtime_error, spread::Error>);
    static_assert(std::is_base_of_v<spread::Network, spread::Timeout>);
    static_assert(std::is_base_of_v<spread::InvalidValue, spread::InvalidUtf8>);
    static_assert(std::is_base_of_v<spread::Api, spread::Endpoint> && std::is_base_of_v<spread::Error, spread::Api>);
}

// ------------------------------------------------------------------ the exception tree

template <class... Ts>
struct Classes {};
using AllClasses = Classes<spread::Error, spread::NullArgument, spread::InvalidValue, spread::InvalidUtf8, spread::MissingField,
                           spread::Config, spread::Network, spread::Timeout, spread::Tls, spread::Redirect, spread::Api,
                           spread::Auth, spread::Rejected, spread::Server, spread::Endpoint, spread::Io, spread::Internal>;

// "Timeout" for spread::Timeout: the class's own name, as the compiler knows it.
std::string class_name(const std::type_info& type)
{
    int status = 0;
    char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    std::string name = status == 0 && demangled != nullptr ? demangled : type.name();
    std::free(demangled);
    const std::string prefix = "spread::";
    return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

// How many classes of the tree T derives from (its depth below the root).
template <class T, class... Ts>
int depth(Classes<Ts...>)
{
    return ((std::is_base_of_v<Ts, T> && !std::is_same_v<Ts, T> ? 1 : 0) + ...);
}

// T's direct base in the tree: the deepest class of the tree it derives from.
template <class T, class... Ts>
std::string direct_base(Classes<Ts...> all)
{
    std::string base;
    int base_depth = -1;
    auto consider = [&](auto* candidate) {
        using C = std::remove_pointer_t<decltype(candidate)>;
        if constexpr (std::is_base_of_v<C, T> && !std::is_same_v<C, T>) {
            if (depth<C>(all) > base_depth) {
                base_depth = depth<C>(all);
                base = class_name(typeid(C));
            }
        }
    };
    (consider(static_cast<Ts*>(nullptr)), ...);
    return base;
}

// The direct base of the exception's exact class.
template <class... Ts>
std::string direct_base_of(const spread::Error& e, Classes<Ts...> all)
{
    std::string base = "?";
    ((typeid(e) == typeid(Ts) ? (void)(base = direct_base<Ts>(all)) : (void)0), ...);
    return base;
}

// For every status code the library lists, the class thrown and its direct base are
// the library's (spread_status_class, spread_status_parent_class): the same tree as
// PHP's and Python's exceptions.
void exception_tree()
{
    std::vector<int> codes = spread::status_codes();
    CHECK(codes.size() >= 17 && codes.front() == SPREAD_OK && codes.back() == SPREAD_ERR_PANIC);
    codes.push_back(12345);  // unknown numbers are Internal
    for (const int code : codes) {
        const std::string expected = spread::status_class(code);
        if (expected.empty()) {
            CHECK(code == SPREAD_OK || code == SPREAD_QUEUED);
            continue;
        }
        ++checks;
        try {
            spread::detail::throw_error(code, "m");
        } catch (const spread::Error& e) {
            const std::string name = class_name(typeid(e));
            const std::string base = direct_base_of(e, AllClasses{});
            if (name != expected || base != spread::status_parent_class(code) || e.status() != code) {
                fail(__LINE__, std::to_string(code) + ": threw " + name + " (under " + base + "), the library says " +
                                   expected + " (under " + spread::status_parent_class(code) + ")");
            }
        }
    }
}

void option_table(spread::Client& client);

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
    {
        // A copy (spread_order_clone) changes apart from its original.
        spread::Order copy = seed;
        copy.customer_name("Copy");
        spread::Order assigned;
        assigned = copy;
        assigned.order_idorder("0000042");
        CHECK(seed.encode() == seed_body);
        CHECK(copy.encode().find("customer_name%5D=Copy") != std::string::npos && copy.encode().find("0000042") == std::string::npos);
        CHECK(assigned.encode().find("customer_name%5D=Copy") != std::string::npos && assigned.encode().find("0000042") != std::string::npos);
    }

    {
        // A structured field as JSON, by the library's rule (the bindings' field()/set() use it).
        spread::Order structured;
        structured.field_json("consents", R"({"newsletter":true,"sms":"0"})").field_json("add_tag", R"(["vip"])");
        CHECK(structured.encode() == "data%5Bconsents%5D%5Bnewsletter%5D=1&data%5Bconsents%5D%5Bsms%5D=0&data%5Badd_tag%5D%5B0%5D=vip");
        EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "consents[sms]: \"2\" is not 1 (accepted) or 0 (refused)",
                     structured.field_json("consents", R"({"sms":2})"));
        // The keys file is the library's to read; a missing one is a configuration error.
        EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "keys file /nonexistent/keys: cannot open it",
                     spread::Client::from_keys_file("/nonexistent/keys"));
    }

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

    // A product goes in whole or not at all.
    const std::string before = seed.encode();
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "product_attributes[1]", seed.add_product({"size:m", "no colon"}));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "NUL",
                 seed.add_product({"size:m", std::string_view("a:b\0c", 5)}));
    CHECK(seed.encode() == before);
    spread::Order products;
    products.add_product(std::vector<std::string>{"size:xl", "type:shirt"}).add_product({"size:s"});
    CHECK(products.encode() == "data%5Bproduct_attributes%5D%5B0%5D%5B0%5D=size%3Axl&data%5Bproduct_attributes%5D%5B0%5D%5B1%5D=type%3Ashirt"
                               "&data%5Bproduct_attributes%5D%5B1%5D%5B0%5D=size%3As");

    // The drop-in path: the seed's $post_data as JSON or as PHP's own body.
    const spread::Order from_json = spread::Order::from_json(post_data("0000006", R"("customer_birthday":"0000-00-00",)"));
    CHECK(from_json.warnings().size() == 1 && contains(from_json.warnings().at(0), "customer_birthday"));
    CHECK(contains(from_json.encode(), "data%5Bcustomer_birthday%5D=0000-00-00"));
    CHECK(seed.warnings().empty());
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "customer_birthday",
                 spread::Order::from_json(post_data("0000006", R"("customer_birthday":"0000-00-00",)"), true));
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "post_data", spread::Order::from_json("{not json"));
    EXPECT_THROW(spread::MissingField, SPREAD_ERR_MISSING_FIELD, "order_idorder",
                 spread::Order::from_json(R"({"customer_email":"a@b.c"})"));
    const spread::Order from_form = spread::Order::from_form(seed_body);
    CHECK(from_form.encode() == seed_body && from_form.warnings().empty());
    EXPECT_THROW(spread::MissingField, SPREAD_ERR_MISSING_FIELD, "", spread::Order::from_form("data%5Bcustomer_email%5D=a%40b.c"));

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
    // Plain http to a remote host is accepted alone; the rule is checked with allow_insecure_http.
    client.base_url("http://example.com/api");
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "allow_insecure_http", client.check());
    client.allow_insecure_http().check();
    client.allow_insecure_http(false).base_url("http://127.0.0.1:9/api").check();
    option_table(client);
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "timeout", client.timeout(0ms));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "timeout: -5 ms is out of range", client.timeout(-5ms));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "out of range", client.timeout(std::chrono::hours(24 * 60)));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "connect", client.connect_timeout(0ms));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "attempts", client.max_attempts(0));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "ca_file", client.ca_file("/nonexistent/ca.pem"));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "proxy", client.proxy("not a proxy url"));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "tls_roots", client.tls_roots(""));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "flush_budget", client.flush_budget(0ms));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "flush_budget: -1 ms is out of range", client.flush_budget(-1ms));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "delivery_concurrency: 0 is out of range", client.delivery_concurrency(0));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "delivery_concurrency: 33 is out of range", client.delivery_concurrency(33));
    client.delivery_concurrency(1).delivery_concurrency(32);
    client.proxy("http://127.0.0.1:3128").proxy("").tls_roots("bundled").tls_roots("system").flush_budget(60s).shutdown_timeout(0ms);
    client.app_info("CppTill/1.0").app_info("");
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "app_info", client.app_info("CppTill/1.0\r\nX-Injected: 1"));
    client.ca_file(ca_file).timeout(5s).connect_timeout(1s).max_attempts(2);
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "spool", client.flush());
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "spool", client.pending());
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "spool", client.enqueue(seed));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "spool", client.spool_status());
    CHECK(spread::abi_version() >= SPREAD_ABI_VERSION && spread::max_concurrency() == 32);
    exception_tree();

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

    // The spool's maintenance calls.
    const spread::SpoolStatus st = spooling.spool_status();
    CHECK(st.pending == 2 && st.foreign == 0 && st.legacy == 0 && st.rejected == 0 && st.unreadable == 0);
    CHECK(st.oldest && st.oldest->count() >= 0 && contains(st.json, "\"pending\":2"));
    CHECK(st.stranded == 0 && !st.stranded_oldest);  // from spread_spool_status's struct, no JSON parsed
    CHECK(spooling.rejected_json() == "[]");
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "nothing.req", spooling.requeue("nothing.req"));
    CHECK(spooling.requeue_all() == 0 && spooling.purge_rejected(std::chrono::seconds(0)) == 0);
    EXPECT_THROW(spread::InvalidValue, SPREAD_ERR_INVALID_VALUE, "older_than", spooling.purge_rejected(std::chrono::seconds(-1)));

    // A moved-from client is empty; its successor works.
    spread::Client moved_client = std::move(spooling);
    CHECK(moved_client && !spooling && spooling.native() == nullptr);
    CHECK(moved_client.pending() == 2);
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.send(seed));
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.flush());
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.pending());
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.base_url(closed_url));
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.send_many(std::vector<spread::Order>(), 2));
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.enqueue(seed));
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.logger([](const spread::LogRecord&) {}));
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", spooling.spool_status());
    spooling = std::move(moved_client);
    CHECK(spooling.pending() == 2 && !moved_client);

    // A moved-from order cannot be sent.
    spread::Order gone = std::move(seed);
    EXPECT_THROW(spread::NullArgument, SPREAD_ERR_NULL_ARGUMENT, "", client.send(seed));
}

void batches(const spread::Client& client, const spread::Client& wrong_keys);
void logging(const char* base_url, const char* spool_dir);

// spread::options() and Options agree both ways; options by name; any order.
void option_table(spread::Client& client)
{
    using namespace std::chrono_literals;
    spread::Options every;  // each field set
    every.base_url = "https://example.com/api";
    every.allow_insecure_http = true;
    every.timeout = 5s;
    every.connect_timeout = 1s;
    every.max_attempts = 2;
    every.tls_roots = "system";
    every.ca_file = "/etc/ssl/certs/ca-certificates.crt";
    every.proxy = "http://127.0.0.1:3128";
    every.app_info = "CppTill/1.0";
    every.spool_dir = "/tmp/spool";
    every.flush_budget = 60s;
    every.shutdown_timeout = 0ms;
    every.delivery_concurrency = 4;
    std::vector<std::string> fields, table;
    for (const auto& [name, value] : every.texts()) fields.push_back(name);
    for (const spread::OptionInfo& o : spread::options()) {
        table.push_back(o.name);
        CHECK(!o.type.empty());
    }
    std::sort(fields.begin(), fields.end());
    std::sort(table.begin(), table.end());
    CHECK(fields == table);  // each option a field of Options, each field an option
    CHECK(spread::options().front().name == "base_url" && spread::options().front().default_value == "https://social-sb.com/api");
    CHECK(spread::options().front().env == "SPREAD_BASE_URL" && spread::options().at(2).env.empty());
    client.option("timeout_ms", "5000").option("allow_insecure_http", "false");
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "timeout_ms: \"5 s\" is not a whole number", client.option("timeout_ms", "5 s"));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "nope: unknown option; the options are base_url, ", client.option("nope", "1"));
}

// base_url before allow_insecure_http: sent (a host that is not loopback, through `tunnel`, a
// CONNECT proxy to the sandbox); never allowed: the first send throws naming both options.
void any_order(const char* base_url, const char* tunnel)
{
    std::string remote(base_url);
    remote.replace(remote.find("127.0.0.1"), 9, "spread-sandbox.test");
    spread::Client fluent("PUBLIC_KEY", "PRIVATE_KEY");
    fluent.base_url(remote).proxy(tunnel).max_attempts(1);
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "allow_insecure_http", fluent.send(second_order("0000003")));
    CHECK(fluent.allow_insecure_http().send(second_order("0000003")).status == 200);
    spread::Options options;
    options.base_url = remote;
    options.proxy = tunnel;
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "allow_insecure_http", spread::Client("PUBLIC_KEY", "PRIVATE_KEY", options));
    options.allow_insecure_http = true;
    CHECK(spread::Client("PUBLIC_KEY", "PRIVATE_KEY", options).send(second_order("0000003")).status == 200);
}

void online(const char* base_url, const char* spool_dir)
{
    spread::Client client("PUBLIC_KEY", "PRIVATE_KEY");
    client.base_url(base_url).spool_dir(spool_dir);
    // The offline phase's two entries belong to its own destination (the closed URL):
    // foreign here, and a flush leaves them alone.
    const spread::SpoolStatus before = client.spool_status();
    CHECK(before.pending == 0 && before.foreign == 2 && !before.oldest);
    const spread::FlushResult flushed = client.flush();
    CHECK(flushed.delivered == 0 && flushed.remaining == 0);
    CHECK(client.spool_status().foreign == 2);
    // So they are sent here.
    CHECK(client.send(seed_order()).status == 200);
    CHECK(client.send(second_order("0000002")).status == 200);

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

    // Outside /api the sandbox answers 404: not SPREAD's endpoint (an Api error, not a refusal of the order).
    const std::string url(base_url);
    spread::Client lost("PUBLIC_KEY", "PRIVATE_KEY");
    lost.base_url(url.substr(0, url.rfind("/api")));
    EXPECT_THROW(spread::Endpoint, SPREAD_ERR_ENDPOINT, "404", lost.send(order));
    CHECK(http_status_of([&] { lost.send(order); }) == 404);

    batches(client, wrong_keys);
    logging(base_url, spool_dir);
}

// send_many: one result per order (status, HTTP status, message), progress on this thread.
void batches(const spread::Client& client, const spread::Client& wrong_keys)
{
    std::vector<spread::Order> batch;
    batch.push_back(second_order("0000006"));
    batch.emplace_back().customer_email("nobody@example.com");  // no order_idorder and more
    batch.push_back(second_order("0000007"));
    batch.push_back(second_order("0000007"));
    const spread::Order taken = std::move(batch.back());  // the moved-from order left behind fails alone
    std::vector<std::pair<std::size_t, std::size_t>> reports;
    const std::thread::id caller = std::this_thread::get_id();
    bool on_caller = true;
    const spread::SendManyResult many = client.send_many(batch, 2, [&](std::size_t done, std::size_t total) {
        reports.emplace_back(done, total);
        on_caller = on_caller && std::this_thread::get_id() == caller;
    });
    CHECK((many.statuses == std::vector<int>{SPREAD_OK, SPREAD_ERR_MISSING_FIELD, SPREAD_OK, SPREAD_ERR_NULL_ARGUMENT}));
    CHECK(many.results.size() == 4 && many.results[0].delivered() && !many.results[0].failed() && many.results[0].message.empty());
    CHECK(many.results[1].failed() && many.results[1].http_status == 0 && contains(many.results[1].message, "orders[1]: "));
    CHECK(many.results[3].status == SPREAD_ERR_NULL_ARGUMENT && contains(many.results[3].message, "orders[3]"));
    CHECK(many.error == many.results[1].message);
    // The last report says done == total. (libspread counts the orders it could send: 3 of
    // these 4, the moved-from one failing before; see the note to the lead.)
    CHECK(on_caller && !reports.empty() && reports.back().first == reports.back().second && reports.back().second >= 3);

    // Refused keys: every order's result carries SPREAD's answer.
    std::vector<spread::Order> two;
    two.push_back(second_order("0000006"));
    two.push_back(second_order("0000007"));
    const spread::SendManyResult refused = wrong_keys.send_many(two, 2);
    CHECK(refused.results.size() == 2 && refused.results[0].status == SPREAD_ERR_AUTH && refused.results[1].http_status == 401);

    // A progress callback that throws stops reporting; its exception comes out once the batch is done.
    int calls = 0;
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "stop here", client.send_many(two, 1, [&](std::size_t, std::size_t) {
        ++calls;
        throw spread::Config(SPREAD_ERR_CONFIG, "stop here");
    }));
    CHECK(calls == 1);

    const spread::SendManyResult none = client.send_many(std::vector<spread::Order>());
    CHECK(none.statuses.empty() && none.results.empty() && none.error.empty());
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "concurrency: 0 is out of range", client.send_many(batch, 0));
    EXPECT_THROW(spread::Config, SPREAD_ERR_CONFIG, "concurrency: 33 is out of range", client.send_many(batch, 33));
}

// The logger (on any thread, never a key), the log queue, warnings on a Response, enqueue.
void logging(const char* base_url, const char* spool_dir)
{
    Seen seen;
    spread::Options options;
    options.base_url = base_url;
    options.app_info = "CppTill/1.0";  // test_install.py finds it in the sandbox's log
    options.logger = seen.logger();
    options.min_level = spread::LogLevel::Debug;
    spread::Client client("PUBLIC_KEY", "PRIVATE_KEY", options);
    const spread::Response r = client.send(spread::Order::from_json(post_data("0000006", R"("customer_birthday":"0000-00-00",)")));
    CHECK(r.status == 200 && !r.queued && !r.truncated);
    CHECK(r.warnings.size() == 1 && contains(r.warnings.at(0), "customer_birthday"));
    CHECK(seen.count("attempt") == 1 && seen.count("warning") == 1);
    {
        const std::lock_guard<std::mutex> lock(seen.mutex);
        const spread::LogRecord& attempt = seen.records.back();
        CHECK(attempt.level == spread::LogLevel::Debug && contains(attempt.context_json, "\"order_id\":\"0000006\""));
    }
    // Info and above only: no attempt (debug) records.
    client.logger(seen.logger(), spread::LogLevel::Info);
    client.send(second_order("0000006"));
    CHECK(seen.count("attempt") == 1);
    // A logger that throws costs nothing but its record.
    client.logger([](const spread::LogRecord&) { throw std::runtime_error("logger bug"); }, spread::LogLevel::Debug);
    CHECK(client.send(second_order("0000006")).status == 200);
    // Off.
    client.logger(nullptr);
    const std::size_t before = seen.records.size();
    client.send(second_order("0000006"));
    CHECK(seen.records.size() == before);

    // The queue, drained on this thread.
    client.log_queue(spread::LogLevel::Debug);
    client.send(second_order("0000007"));
    const std::optional<std::string> record = client.next_log();
    CHECK(record && contains(*record, "\"event\":\"attempt\"") && contains(*record, "0000007"));
    while (client.next_log()) {
    }
    CHECK(!client.next_log());

    // Enqueue: on disk at once, delivered by the background thread, which logs too.
    Seen background;
    spread::Options spooled;
    spooled.base_url = base_url;
    spooled.spool_dir = std::string(spool_dir) + "-enqueue";
    spooled.logger = background.logger();
    spooled.min_level = spread::LogLevel::Debug;
    spooled.shutdown_timeout = 5s;
    spread::Client enqueuing("PUBLIC_KEY", "PRIVATE_KEY", spooled);
    const spread::Response queued = enqueuing.enqueue(second_order("0000003"));
    CHECK(queued.queued && queued.status == 0 && queued.body.empty() && queued.warnings.empty());
    const spread::Response lenient = enqueuing.enqueue(spread::Order::from_json(post_data("0000003", R"("customer_country":"france",)")));
    CHECK(lenient.queued && lenient.warnings.size() == 1);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (enqueuing.pending() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    CHECK(enqueuing.pending() == 0);
    CHECK(background.count("queued") == 2 && background.count("attempt") >= 2);
    CHECK(background.from_another_thread());
    CHECK(seen.clean() && background.clean());
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
    // SPREAD answered: caught as an Api error, with its HTTP status.
    std::uint16_t answered = 0;
    try {
        client.send(second_order("0000005"));
    } catch (const spread::Api& e) {
        answered = e.http_status();
    }
    CHECK(answered == 503);
}

}  // namespace

int main(int argc, char** argv)
{
    check_types();
    const std::string phase = argc > 2 ? argv[1] : "";
    try {
        if (phase == "offline" && argc == 6) {
            offline(argv[2], argv[3], argv[4], argv[5]);
        } else if (phase == "online" && argc == 5) {
            online(argv[2], argv[3]);
            any_order(argv[2], argv[4]);
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
