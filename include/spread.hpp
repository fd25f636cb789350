/*
 * libspread for C++17: RAII handles and exceptions over the C API of spread.h.
 *
 *     spread::Options options;
 *     options.spool_dir = "/var/spool/till";        // offline orders wait here
 *     spread::Client client("PUBLIC_KEY", "PRIVATE_KEY", options);
 *
 *     spread::Order order;
 *     order.customer_email("john@doe.com").order_idorder("T-1001").order_state(20)
 *          .order_amount(158.31).order_crea_dt("2024-05-04 10:31:00")
 *          .add_product({"size:xl", "type:shirt"});
 *     spread::Response r = client.send(order);      // r.queued: kept for flush()
 *
 * Header-only, no logic of its own: validation, encoding, HTTP, retries and
 * the spool are libspread's; this header converts types and turns status codes
 * into exceptions. Link with libspread (pkg-config spread, or CMake spread::spread).
 *
 * Threads: one Client may be shared by threads for send(), send_many(),
 * flush() and pending() (they are const); configure it before sharing it.
 * An Order has one owner at a time. Errors are thrown, so spread_last_error()
 * is never needed.
 *
 * Ownership: Client and Order own their C handle and free it in their
 * destructor; they move but do not copy. A moved-from object holds no handle:
 * it may be assigned to or destroyed; any other use throws spread::NullArgument.
 * Strings go in as std::string_view (copied by libspread; a NUL inside one is
 * refused, since C strings would cut it short) and come out as std::string
 * (owned by the caller).
 *
 * Errors: every failure throws a spread::Error (a std::runtime_error whose
 * what() is libspread's message naming the field or cause, never a secret)
 * of the class that matches its SpreadStatus; status() gives the number and
 * http_status() what SPREAD answered, if it did.
 */

#ifndef SPREAD_HPP
#define SPREAD_HPP

#include "spread.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spread {

/** What one flush() did: orders delivered, and orders still waiting in the spool. */
struct FlushResult {
    std::size_t delivered = 0;
    std::size_t remaining = 0;
};

/** SPREAD's answer to one send(): `queued` when the order was spooled instead (status 0, no body). */
struct Response {
    std::uint16_t status = 0;
    std::string body;
    bool queued = false;
};

/** What send_many() did with each order. */
struct SendManyResult {
    /** One per order, in order: SPREAD_OK (delivered), SPREAD_QUEUED (spooled) or its SPREAD_ERR_*. */
    std::vector<int> statuses;
    /** libspread's message for the first failed order ("orders[3]: ..."); empty when none failed. */
    std::string error;
};

/** Base of every libspread failure. */
class Error : public std::runtime_error {
public:
    Error(int status, const std::string& message, std::uint16_t http_status = 0,
          std::optional<FlushResult> flushed = std::nullopt)
        : std::runtime_error(message), status_(status), http_status_(http_status), flushed_(flushed) {}

    /** The SpreadStatus, such as SPREAD_ERR_TIMEOUT (21). */
    int status() const noexcept { return status_; }
    /** Its name, such as "SPREAD_ERR_TIMEOUT". */
    const char* status_name() const noexcept { return spread_status_name(status_); }
    /** The HTTP status SPREAD answered (401, 503...), or 0 when it did not answer. */
    std::uint16_t http_status() const noexcept { return http_status_; }
    /** When flush() stopped on this error: what it had done by then. */
    const std::optional<FlushResult>& flush_result() const noexcept { return flushed_; }

private:
    int status_;
    std::uint16_t http_status_;
    std::optional<FlushResult> flushed_;
};

/** SPREAD_ERR_NULL_ARGUMENT: a moved-from Client or Order was used. */
class NullArgument : public Error { public: using Error::Error; };
/** SPREAD_ERR_INVALID_VALUE: a value broke its field's rule; the order is unchanged. */
class InvalidValue : public Error { public: using Error::Error; };
/** SPREAD_ERR_INVALID_UTF8: a string was not valid UTF-8. */
class InvalidUtf8 : public InvalidValue { public: using InvalidValue::InvalidValue; };
/** SPREAD_ERR_MISSING_FIELD: a field SPREAD requires was not set. */
class MissingField : public Error { public: using Error::Error; };
/** SPREAD_ERR_CONFIG: the client configuration is wrong (URL, keys, CA file, timeout). */
class Config : public Error { public: using Error::Error; };
/** SPREAD_ERR_NETWORK: the connection failed or broke; retrying later may work. */
class Network : public Error { public: using Error::Error; };
/** SPREAD_ERR_TIMEOUT: the time budget ran out. */
class Timeout : public Network { public: using Network::Network; };
/** SPREAD_ERR_TLS: TLS or certificate verification failed. */
class Tls : public Error { public: using Error::Error; };
/** SPREAD_ERR_REDIRECT: a redirect was refused (too many, https to http, bad Location). */
class Redirect : public Error { public: using Error::Error; };
/** SPREAD_ERR_AUTH: SPREAD refused the API keys (401/403). */
class Auth : public Error { public: using Error::Error; };
/** SPREAD_ERR_REJECTED: SPREAD rejected the request (another 4xx). */
class Rejected : public Error { public: using Error::Error; };
/** SPREAD_ERR_SERVER: SPREAD failed (5xx). */
class Server : public Error { public: using Error::Error; };
/** SPREAD_ERR_IO: a local file operation (the spool) failed. */
class Io : public Error { public: using Error::Error; };
/** SPREAD_ERR_PANIC or an unknown status: a bug in libspread, please report it. */
class Internal : public Error { public: using Error::Error; };

namespace detail {

/** Throws the spread::Error subclass for `status`. */
[[noreturn]] inline void throw_error(int status, const std::string& message, std::uint16_t http_status = 0,
                                     std::optional<FlushResult> flushed = std::nullopt)
{
    switch (status) {
    case SPREAD_ERR_NULL_ARGUMENT: throw NullArgument(status, message, http_status, flushed);
    case SPREAD_ERR_INVALID_UTF8: throw InvalidUtf8(status, message, http_status, flushed);
    case SPREAD_ERR_INVALID_VALUE: throw InvalidValue(status, message, http_status, flushed);
    case SPREAD_ERR_MISSING_FIELD: throw MissingField(status, message, http_status, flushed);
    case SPREAD_ERR_CONFIG: throw Config(status, message, http_status, flushed);
    case SPREAD_ERR_NETWORK: throw Network(status, message, http_status, flushed);
    case SPREAD_ERR_TIMEOUT: throw Timeout(status, message, http_status, flushed);
    case SPREAD_ERR_TLS: throw Tls(status, message, http_status, flushed);
    case SPREAD_ERR_REDIRECT: throw Redirect(status, message, http_status, flushed);
    case SPREAD_ERR_AUTH: throw Auth(status, message, http_status, flushed);
    case SPREAD_ERR_REJECTED: throw Rejected(status, message, http_status, flushed);
    case SPREAD_ERR_SERVER: throw Server(status, message, http_status, flushed);
    case SPREAD_ERR_IO: throw Io(status, message, http_status, flushed);
    default: throw Internal(status, message, http_status, flushed);
    }
}

/** Throws for any status but SPREAD_OK, with what this thread's libspread call left. */
inline void check(int status, std::optional<FlushResult> flushed = std::nullopt)
{
    if (status != SPREAD_OK) {
        throw_error(status, spread_last_error(), spread_last_http_status(), flushed);
    }
}

/** After a C function returned NULL: throws what it failed with. */
[[noreturn]] inline void throw_last()
{
    const int status = spread_last_status();
    throw_error(status != SPREAD_OK ? status : SPREAD_ERR_PANIC, spread_last_error());
}

/** A NUL-terminated copy of `v` for the C API; a NUL inside would silently cut it short. */
inline std::string c_str(std::string_view v, const char* what, int status)
{
    if (v.find('\0') != std::string_view::npos) {
        throw_error(status, std::string(what) + ": contains a NUL character, which cannot be passed to libspread");
    }
    return std::string(v);
}

/** Milliseconds as the C API's uint32_t; out of range is refused rather than wrapped. */
inline std::uint32_t millis(std::chrono::milliseconds d, const char* what)
{
    const auto ms = d.count();
    if (ms < 0 || static_cast<unsigned long long>(ms) > std::numeric_limits<std::uint32_t>::max()) {
        throw_error(SPREAD_ERR_CONFIG, std::string(what) + ": " + std::to_string(ms) +
                                     " ms is out of range (0 to 4294967295)");
    }
    return static_cast<std::uint32_t>(ms);
}

struct StringFree {
    void operator()(char* s) const noexcept { spread_string_free(s); }
};
struct ResponseFree {
    void operator()(SpreadResponse* r) const noexcept { spread_response_free(r); }
};

} // namespace detail

/** The library version, such as "0.1.0". */
inline std::string version() { return spread_version(); }

/** The name of a status code, such as "SPREAD_ERR_TIMEOUT". */
inline std::string status_name(int status) { return spread_status_name(status); }

/** The scalar field names (customer_email, ..., order_end_service), in the seed's order. */
inline std::vector<std::string> field_names()
{
    std::vector<std::string> names;
    for (std::size_t i = 0; const char* name = spread_field_name(i); ++i) {
        names.emplace_back(name);
    }
    return names;
}

/** An order with its customer profile. Setters check the value at once and
 *  throw (InvalidValue naming the field) leaving the order unchanged. */
class Order {
public:
    Order() : o_(spread_order_new()) {}
    ~Order() { spread_order_free(o_); }
    Order(Order&& other) noexcept : o_(std::exchange(other.o_, nullptr)) {}
    Order& operator=(Order&& other) noexcept
    {
        if (this != &other) {
            spread_order_free(std::exchange(o_, std::exchange(other.o_, nullptr)));
        }
        return *this;
    }
    Order(const Order&) = delete;
    Order& operator=(const Order&) = delete;

    // data[<field>]; each calls spread_order_set_<field>.
    Order& customer_email(std::string_view v) { return set(spread_order_set_customer_email, "customer_email", v); }
    Order& external_id(std::string_view v) { return set(spread_order_set_external_id, "external_id", v); }
    Order& customer_cookie(std::string_view v) { return set(spread_order_set_customer_cookie, "customer_cookie", v); }
    Order& customer_name(std::string_view v) { return set(spread_order_set_customer_name, "customer_name", v); }
    Order& customer_firstname(std::string_view v) { return set(spread_order_set_customer_firstname, "customer_firstname", v); }
    Order& customer_gender(std::string_view v) { return set(spread_order_set_customer_gender, "customer_gender", v); }
    Order& customer_address(std::string_view v) { return set(spread_order_set_customer_address, "customer_address", v); }
    Order& customer_address_2(std::string_view v) { return set(spread_order_set_customer_address_2, "customer_address_2", v); }
    Order& customer_address_3(std::string_view v) { return set(spread_order_set_customer_address_3, "customer_address_3", v); }
    Order& customer_cp(std::string_view v) { return set(spread_order_set_customer_cp, "customer_cp", v); }
    Order& customer_city(std::string_view v) { return set(spread_order_set_customer_city, "customer_city", v); }
    Order& customer_country(std::string_view v) { return set(spread_order_set_customer_country, "customer_country", v); }
    Order& customer_tel(std::string_view v) { return set(spread_order_set_customer_tel, "customer_tel", v); }
    Order& customer_mobile(std::string_view v) { return set(spread_order_set_customer_mobile, "customer_mobile", v); }
    Order& customer_fonction(std::string_view v) { return set(spread_order_set_customer_fonction, "customer_fonction", v); }
    Order& customer_company(std::string_view v) { return set(spread_order_set_customer_company, "customer_company", v); }
    Order& customer_birthday(std::string_view v) { return set(spread_order_set_customer_birthday, "customer_birthday", v); }
    Order& customer_lang(std::string_view v) { return set(spread_order_set_customer_lang, "customer_lang", v); }
    Order& action(std::string_view v) { return set(spread_order_set_action, "action", v); }
    Order& order_idorder(std::string_view v) { return set(spread_order_set_order_idorder, "order_idorder", v); }
    Order& order_crea_dt(std::string_view v) { return set(spread_order_set_order_crea_dt, "order_crea_dt", v); }
    Order& order_start_service(std::string_view v) { return set(spread_order_set_order_start_service, "order_start_service", v); }
    Order& order_end_service(std::string_view v) { return set(spread_order_set_order_end_service, "order_end_service", v); }

    /** 0 cancelled, 10 taken (unpaid), 20 paid, 50 shipped, 100 completed. */
    Order& order_state(std::int32_t state)
    {
        detail::check(spread_order_set_order_state(o_, state));
        return *this;
    }
    /** Printed as PHP prints floats (158.31, 100). */
    Order& order_amount(double amount)
    {
        detail::check(spread_order_set_order_amount(o_, amount));
        return *this;
    }
    /** A plain decimal ("158.31"), sent as written: no float rounding. */
    Order& order_amount(std::string_view decimal)
    {
        return set(spread_order_set_order_amount_str, "order_amount", decimal);
    }

    Order& add_tag(std::string_view tag) { return set(spread_order_add_tag, "add_tag", tag); }
    Order& del_tag(std::string_view tag) { return set(spread_order_del_tag, "del_tag", tag); }
    Order& add_order_tag(std::string_view tag) { return set(spread_order_add_order_tag, "add_order_tag", tag); }
    Order& del_order_tag(std::string_view tag) { return set(spread_order_del_order_tag, "del_order_tag", tag); }

    /** data[custom_fields][id]; ids (> 0) come from SPREAD's back office. */
    Order& custom_field(std::uint32_t id, std::string_view value)
    {
        detail::check(spread_order_set_custom_field(o_, id, detail::c_str(value, "custom_fields", SPREAD_ERR_INVALID_VALUE).c_str()));
        return *this;
    }
    /** data[consents][tech_name] = 1 (accepted) or 0 (refused). */
    Order& consent(std::string_view tech_name, bool accepted)
    {
        detail::check(spread_order_set_consent(o_, detail::c_str(tech_name, "consents", SPREAD_ERR_INVALID_VALUE).c_str(), accepted));
        return *this;
    }
    /** Starts the next product; add_product_attribute() describes it. */
    Order& add_product()
    {
        detail::check(spread_order_add_product(o_));
        return *this;
    }
    /** Starts the next product with these "key:value" attributes. On error the
     *  product keeps the attributes before the refused one. */
    Order& add_product(std::initializer_list<std::string_view> attributes)
    {
        add_product();
        for (std::string_view attribute : attributes) {
            add_product_attribute(attribute);
        }
        return *this;
    }
    /** Adds "key:value" to the current product (starting the first one if needed). */
    Order& add_product_attribute(std::string_view key_colon_value)
    {
        return set(spread_order_add_product_attribute, "product_attributes", key_colon_value);
    }
    /** data[name] from text: a known field is checked by its rule, any other name is sent as is. */
    Order& field(std::string_view name, std::string_view value)
    {
        const std::string n = detail::c_str(name, "field name", SPREAD_ERR_INVALID_VALUE);
        detail::check(spread_order_set_field(o_, n.c_str(), detail::c_str(value, n.c_str(), SPREAD_ERR_INVALID_VALUE).c_str()));
        return *this;
    }

    /** Throws MissingField unless the fields SPREAD requires are set (send() checks too). */
    void validate() const { detail::check(spread_order_validate(o_)); }

    /** The exact body send() posts, byte-identical to PHP's http_build_query. */
    std::string encode() const
    {
        std::unique_ptr<char, detail::StringFree> body(spread_order_encode(o_));
        if (!body) {
            detail::throw_last();
        }
        return std::string(body.get());
    }

    /** The C handle, borrowed (NULL once moved from): for the C API. */
    SpreadOrder* native() noexcept { return o_; }
    const SpreadOrder* native() const noexcept { return o_; }
    /** False once moved from. */
    explicit operator bool() const noexcept { return o_ != nullptr; }

private:
    Order& set(int (*setter)(SpreadOrder*, const char*), const char* field, std::string_view v)
    {
        detail::check(setter(o_, detail::c_str(v, field, SPREAD_ERR_INVALID_VALUE).c_str()));
        return *this;
    }

    SpreadOrder* o_;
};

/** Client settings; unset ones keep libspread's defaults. */
struct Options {
    std::string base_url;                                     // empty: https://social-sb.com/api
    std::optional<std::chrono::milliseconds> timeout;         // whole send (default 30 s)
    std::optional<std::chrono::milliseconds> connect_timeout; // opening a connection (default 10 s)
    std::string ca_file;                                      // empty: the bundled Mozilla roots
    std::string spool_dir;                                    // empty: no spool, failures throw
    std::optional<std::uint32_t> max_attempts;                // tries per send (default 3)
    bool allow_insecure_http = false;                         // plain http to non-loopback hosts
};

/** A SPREAD client for the API keys of SPREAD's back office. */
class Client {
public:
    Client(std::string_view public_key, std::string_view private_key)
        : c_(spread_client_new(detail::c_str(public_key, "public_key", SPREAD_ERR_CONFIG).c_str(),
                               detail::c_str(private_key, "private_key", SPREAD_ERR_CONFIG).c_str()))
    {
        if (c_ == nullptr) {
            detail::throw_last();
        }
    }
    Client(std::string_view public_key, std::string_view private_key, const Options& options)
        : Client(public_key, private_key)
    {
        // Before base_url, which it allows; the total timeout before the connect one it bounds.
        if (options.allow_insecure_http) allow_insecure_http(true);
        if (!options.base_url.empty()) base_url(options.base_url);
        if (options.timeout) timeout(*options.timeout);
        if (options.connect_timeout) connect_timeout(*options.connect_timeout);
        if (!options.ca_file.empty()) ca_file(options.ca_file);
        if (!options.spool_dir.empty()) spool_dir(options.spool_dir);
        if (options.max_attempts) max_attempts(*options.max_attempts);
    }
    ~Client() { spread_client_free(c_); }
    Client(Client&& other) noexcept : c_(std::exchange(other.c_, nullptr)) {}
    Client& operator=(Client&& other) noexcept
    {
        if (this != &other) {
            spread_client_free(std::exchange(c_, std::exchange(other.c_, nullptr)));
        }
        return *this;
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /** The API root; orders go to <url>/updateOrder. Plain http only to loopback
     *  hosts unless allow_insecure_http() was called first. */
    Client& base_url(std::string_view url)
    {
        detail::check(spread_client_set_base_url(c_, detail::c_str(url, "base_url", SPREAD_ERR_CONFIG).c_str()));
        return *this;
    }
    /** The time budget of one send, retries included; more than 0. */
    Client& timeout(std::chrono::milliseconds total)
    {
        detail::check(spread_client_set_timeout_ms(c_, detail::millis(total, "timeout")));
        return *this;
    }
    /** The time allowed to open a connection; more than 0. */
    Client& connect_timeout(std::chrono::milliseconds connect)
    {
        detail::check(spread_client_set_connect_timeout_ms(c_, detail::millis(connect, "connect_timeout")));
        return *this;
    }
    /** Trusts only the CA certificates of this PEM file (read now). */
    Client& ca_file(std::string_view path)
    {
        detail::check(spread_client_set_ca_file(c_, detail::c_str(path, "ca_file", SPREAD_ERR_CONFIG).c_str()));
        return *this;
    }
    /** Keeps orders that cannot be delivered now in this folder, for flush(). */
    Client& spool_dir(std::string_view dir)
    {
        detail::check(spread_client_set_spool_dir(c_, detail::c_str(dir, "spool_dir", SPREAD_ERR_CONFIG).c_str()));
        return *this;
    }
    /** Tries per send, the first included; at least 1. */
    Client& max_attempts(std::uint32_t attempts)
    {
        detail::check(spread_client_set_max_attempts(c_, attempts));
        return *this;
    }
    /** Allows plain http to non-loopback hosts (the keys then travel in clear). */
    Client& allow_insecure_http(bool allow = true)
    {
        detail::check(spread_client_set_allow_insecure_http(c_, allow));
        return *this;
    }

    /** Sends `order` (borrowed; it may be sent again). With a spool, an order
     *  that cannot be delivered now is kept and the Response says `queued`. */
    Response send(const Order& order) const
    {
        SpreadResponse* out = nullptr;
        const int status = spread_send(c_, order.native(), &out);
        const std::unique_ptr<SpreadResponse, detail::ResponseFree> owned(out);
        if (status == SPREAD_QUEUED) {
            return Response{0, std::string(), true};
        }
        detail::check(status);
        return Response{spread_response_status(out), spread_response_body(out), false};
    }

    /** Sends `orders` (borrowed) on up to `concurrency` threads (1 to 32), each as
     *  send() would, reusing connections; blocks until all are done. A failed
     *  order does not stop the others: see the result's statuses. Throws only
     *  when the call itself fails (concurrency out of range, a moved-from client). */
    SendManyResult send_many(const std::vector<Order>& orders, std::uint32_t concurrency = 8) const
    {
        // spread.h documents 1 to 32 but clamps; refused here as the PHP and Python bindings do.
        if (concurrency < 1 || concurrency > 32) {
            detail::throw_error(SPREAD_ERR_CONFIG,
                                "concurrency: " + std::to_string(concurrency) + " is out of range (1 to 32)");
        }
        std::vector<const SpreadOrder*> handles;
        handles.reserve(orders.size());
        for (const Order& order : orders) {
            handles.push_back(order.native());
        }
        constexpr int untouched = -1;  // no SpreadStatus: libspread failed before looking at the orders
        SendManyResult result{std::vector<int>(orders.size(), untouched), std::string()};
        const int status = spread_send_many(c_, handles.data(), handles.size(), concurrency, result.statuses.data());
        if (status != SPREAD_OK) {
            if (result.statuses.empty() || result.statuses.front() == untouched) {
                detail::check(status);
            }
            result.error = spread_last_error();
        }
        return result;
    }

    /** Delivers the spooled orders, oldest first. A failure that may pass
     *  (network, timeout, 5xx) stops it and is thrown, with flush_result(). */
    FlushResult flush() const
    {
        FlushResult result;
        const int status = spread_flush(c_, &result.delivered, &result.remaining);
        detail::check(status, result);
        return result;
    }

    /** How many orders wait in the spool. */
    std::size_t pending() const
    {
        std::size_t count = 0;
        detail::check(spread_spool_pending(c_, &count));
        return count;
    }

    /** The C handle, borrowed (NULL once moved from): for the C API. */
    SpreadClient* native() const noexcept { return c_; }
    /** False once moved from. */
    explicit operator bool() const noexcept { return c_ != nullptr; }

private:
    SpreadClient* c_;
};

} // namespace spread

#endif /* SPREAD_HPP */
