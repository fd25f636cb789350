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
 *     client.enqueue(order);                        // or: on disk now, sent in the background
 *
 * Header-only, no logic of its own: validation, encoding, HTTP, retries and
 * the spool are libspread's; this header converts types and turns status codes
 * into exceptions. Link with libspread (pkg-config spread, or CMake spread::spread).
 *
 * Threads: one Client may be shared by threads for send(), enqueue(),
 * send_many(), flush() and the spool calls (they are const); configure it
 * before sharing it. An Order has one owner at a time. Errors are thrown, so
 * spread_last_error() is never needed.
 *
 * Callbacks: the logger (Options::logger, Client::logger()) is called on
 * whichever thread did the work: the caller's, a send_many() worker, or the
 * background delivery thread of enqueue(); the Client serializes the calls,
 * and an exception it throws is dropped. The Client keeps its own copy of the
 * std::function; what that function refers to must outlive the Client, whose
 * destructor turns logging off before freeing the C client. send_many()'s
 * progress callback is called on the thread that called send_many().
 *
 * Ownership: Client and Order own their C handle and free it in their
 * destructor. A Client moves but does not copy. An Order moves and copies:
 * a copy is a new handle (spread_order_clone), changed apart from the
 * original. A moved-from object holds no handle: it may be assigned to or
 * destroyed; any other use throws spread::NullArgument.
 * Strings go in as std::string_view (copied by libspread; a NUL inside one is
 * refused, since C strings would cut it short) and come out as std::string
 * (owned by the caller).
 *
 * Errors: every failure throws a spread::Error (a std::runtime_error whose
 * what() is libspread's message naming the field or cause, never a secret)
 * of the class that matches its SpreadStatus, in the same tree as the PHP
 * and Python bindings (spread_status_class(), spread_status_parent_class()):
 *
 *     Error
 *     +-- NullArgument, MissingField, Config, Tls, Redirect, Io, Internal
 *     +-- InvalidValue       +-- InvalidUtf8
 *     +-- Network            +-- Timeout
 *     +-- Api (SPREAD answered)
 *         +-- Auth, Rejected, Server, Endpoint
 *
 * status() gives the number and http_status() what SPREAD answered, if it did.
 */

#ifndef SPREAD_HPP
#define SPREAD_HPP

#include "spread.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
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
    /** SPREAD's answer was longer than 1 MiB and was cut (the order was delivered all the same). */
    bool truncated = false;
    /** Fields sent as they were although they break a rule (orders from Order::from_json/from_form). */
    std::vector<std::string> warnings;
};

/** What became of one order of send_many(). */
struct SendResult {
    /** SPREAD_OK (delivered), SPREAD_QUEUED (spooled) or its SPREAD_ERR_*. */
    int status = SPREAD_OK;
    /** The HTTP status SPREAD answered when the order failed on an answer (422, 503...); 0 otherwise. */
    std::uint16_t http_status = 0;
    /** Why it failed ("orders[3]: order_state: ..."); empty when it did not. */
    std::string message;

    bool delivered() const noexcept { return status == SPREAD_OK; }
    bool queued() const noexcept { return status == SPREAD_QUEUED; }
    bool failed() const noexcept { return status != SPREAD_OK && status != SPREAD_QUEUED; }
};

/** What send_many() did with each order. */
struct SendManyResult {
    /** One per order, in order: SPREAD_OK (delivered), SPREAD_QUEUED (spooled) or its SPREAD_ERR_*. */
    std::vector<int> statuses;
    /** libspread's message for the first failed order ("orders[3]: ..."); empty when none failed. */
    std::string error;
    /** One per order, in order: status, HTTP status and message. */
    std::vector<SendResult> results;
};

/** The spool seen from one client (Client::spool_status()). */
struct SpoolStatus {
    std::size_t pending = 0;     // this client's orders waiting
    std::size_t foreign = 0;     // other destinations' (another base URL or key), left alone
    std::size_t legacy = 0;      // written by libspread 0.1, destination unknown
    std::size_t rejected = 0;    // refused by SPREAD, in rejected/
    std::size_t unreadable = 0;  // complete files that are not entries, in unreadable/
    std::optional<std::chrono::seconds> oldest;  // age of the oldest pending order
    std::string json;            // libspread's JSON (spread_spool_status_json), read just after
    std::size_t stranded = 0;    // this key's entries under another base URL (see adopt())
    std::optional<std::chrono::seconds> stranded_oldest;  // age of the oldest stranded entry
};

/** Log levels, most important first; a logger receives its level and the more important ones. */
enum class LogLevel : int {
    Error = SPREAD_LOG_ERROR,
    Warn = SPREAD_LOG_WARN,
    Info = SPREAD_LOG_INFO,
    Debug = SPREAD_LOG_DEBUG,
};

/** One event: an attempt, a retry, a redirect, a Digest answer, an order queued,
 *  flushed or rejected, a lenient-validation warning. Never a key, an
 *  Authorization header or a body; the customer's e-mail only at Debug. */
struct LogRecord {
    LogLevel level = LogLevel::Info;
    std::string event;         // a stable name: "attempt", "retry", "queued", "rejected"...
    std::string message;       // one sentence
    std::string context_json;  // {"order_id":"42","status":503,"wait_ms":400}
};

/** A logger; see "Callbacks" at the top of this header for the thread it runs on. */
using Logger = std::function<void(const LogRecord&)>;

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
/** SPREAD_ERR_CONFIG: the client configuration is wrong (URL, keys, CA file, proxy, spool folder). */
class Config : public Error { public: using Error::Error; };
/** SPREAD_ERR_NETWORK: the connection failed or broke; retrying later may work. */
class Network : public Error { public: using Error::Error; };
/** SPREAD_ERR_TIMEOUT: the time budget ran out. */
class Timeout : public Network { public: using Network::Network; };
/** SPREAD_ERR_TLS: TLS or certificate verification failed. */
class Tls : public Error { public: using Error::Error; };
/** SPREAD_ERR_REDIRECT: a redirect was refused (to another origin than the base URL's, https to http, too many, bad Location). */
class Redirect : public Error { public: using Error::Error; };
/** SPREAD answered, and the answer is a failure: http_status() says which. */
class Api : public Error { public: using Error::Error; };
/** SPREAD_ERR_AUTH: SPREAD (or the proxy) refused the API keys (401, 403, 407). */
class Auth : public Api { public: using Api::Api; };
/** SPREAD_ERR_REJECTED: SPREAD refused the order's content (400, 409, 422). */
class Rejected : public Api { public: using Api::Api; };
/** SPREAD_ERR_SERVER: SPREAD failed (5xx) or asked to slow down (408, 429). */
class Server : public Api { public: using Api::Api; };
/** SPREAD_ERR_ENDPOINT: the endpoint cannot take the request (404, 405, 410, 413: check the
 *  base URL) or answered what SPREAD never answers (1xx, 300, 304...). */
class Endpoint : public Api { public: using Api::Api; };
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
    case SPREAD_ERR_ENDPOINT: throw Endpoint(status, message, http_status, flushed);
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

/** An array of C strings for the C API (copies of `first`..`last`, each checked by c_str). */
class CStrings {
public:
    template <class It>
    CStrings(It first, It last, const char* what)
    {
        for (; first != last; ++first) {
            copies_.push_back(c_str(*first, what, SPREAD_ERR_INVALID_VALUE));
        }
        for (const std::string& c : copies_) {
            pointers_.push_back(c.c_str());
        }
    }
    const char* const* data() const noexcept { return pointers_.data(); }
    std::size_t size() const noexcept { return pointers_.size(); }

private:
    std::vector<std::string> copies_;
    std::vector<const char*> pointers_;
};

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
struct BatchFree {
    void operator()(SpreadBatch* b) const noexcept { spread_batch_free(b); }
};

/** A string libspread returned as owned (NULL: none), freed here. */
inline std::optional<std::string> take_string(char* s)
{
    const std::unique_ptr<char, StringFree> owned(s);
    if (!owned) {
        return std::nullopt;
    }
    return std::string(owned.get());
}

/** What a Client's logger callback points to: the caller's std::function,
 *  called one record at a time, and emptied when the Client lets go of it. */
struct LogBridge {
    std::mutex mutex;
    Logger logger;

    static void call(void* self, int level, const char* event, const char* message, const char* context_json) noexcept
    {
        auto* bridge = static_cast<LogBridge*>(self);
        const std::lock_guard<std::mutex> lock(bridge->mutex);
        if (!bridge->logger) {
            return;
        }
        try {
            bridge->logger(LogRecord{static_cast<LogLevel>(level), event, message, context_json});
        } catch (...) {
            // An exception must not unwind into libspread's threads: dropped.
        }
    }

    /** Keeps a bridge that libspread's delivery thread may still call (see
     *  Client::release_logger()) until the process ends: never destroyed, not even
     *  by exit(), since that thread may run during static destruction. */
    static void park(std::unique_ptr<LogBridge> bridge)
    {
        static std::mutex* const mutex = new std::mutex;
        static auto* const parked = new std::vector<std::unique_ptr<LogBridge>>;
        const std::lock_guard<std::mutex> lock(*mutex);
        parked->push_back(std::move(bridge));
    }
};

/** A progress callback and the exception it threw, to rethrow once the C call returned. */
struct ProgressBridge {
    const std::function<void(std::size_t, std::size_t)>* progress;
    std::exception_ptr error;

    static void call(void* self, std::size_t done, std::size_t total) noexcept
    {
        auto* bridge = static_cast<ProgressBridge*>(self);
        if (bridge->error) {
            return;
        }
        try {
            (*bridge->progress)(done, total);
        } catch (...) {
            bridge->error = std::current_exception();
        }
    }
};

} // namespace detail

/** The library version, such as "0.1.0". */
inline std::string version() { return spread_version(); }

/** The name of a status code, such as "SPREAD_ERR_TIMEOUT". */
inline std::string status_name(int status) { return spread_status_name(status); }

/** SPREAD_ABI_VERSION of the library actually loaded (this header expects SPREAD_ABI_VERSION or more). */
inline int abi_version() { return spread_abi_version(); }

/** The most threads send_many() takes (32). */
inline std::uint32_t max_concurrency() { return spread_max_concurrency(); }

/** Every status code the library has (0, 1, 10, 11...), in increasing order. */
inline std::vector<int> status_codes()
{
    std::vector<int> codes;
    for (std::size_t i = 0; spread_status_code(i) != -1; ++i) {
        codes.push_back(spread_status_code(i));
    }
    return codes;
}

/** The exception class thrown for a status, such as "Timeout" (spread::Timeout); "" for
 *  SPREAD_OK and SPREAD_QUEUED. The same stems name PHP's and Python's classes. */
inline std::string status_class(int status) { return spread_status_class(status); }

/** The class status_class(status) derives from: "Error", "InvalidValue", "Network" or "Api". */
inline std::string status_parent_class(int status) { return spread_status_parent_class(status); }

/** The parent of a class by its stem ("Api" → "Error", "Error" → ""); also for the
 *  grouping classes no status names. Throws spread::InvalidValue for an unknown stem. */
inline std::string class_parent(std::string_view stem)
{
    const std::string s(stem);
    const char* parent = spread_class_parent(s.c_str());
    if (parent == nullptr) {
        detail::throw_error(SPREAD_ERR_INVALID_VALUE, "class: " + s + " is not one of libspread's classes");
    }
    return parent;
}

/** One client option of libspread's table: its name as spread_client_set_option takes it
 *  ("timeout_ms"), its type ("string", "bool", "integer", "milliseconds", "path",
 *  "choice"), its default as text ("" for none) and the environment variable a client
 *  made from the environment reads it from ("SPREAD_BASE_URL"; "" for none). */
struct OptionInfo {
    std::string name;
    std::string type;
    std::string default_value;
    std::string env;
};

/** libspread's client options, in its order: what Options and Client::option() take. */
inline std::vector<OptionInfo> options()
{
    std::vector<OptionInfo> table;
    for (std::size_t i = 0; i < spread_option_count(); ++i) {
        const char* env = spread_option_env(i);
        table.push_back({spread_option_name(i), spread_option_type(i), spread_option_default(i), env != nullptr ? env : ""});
    }
    return table;
}

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
    /** A copy, changed apart from the original (a till's template order, copied per sale). */
    Order(const Order& other) : o_(other.o_ == nullptr ? nullptr : copy_of(other.o_)) {}
    Order& operator=(const Order& other)
    {
        if (this != &other) {
            *this = Order(other);
        }
        return *this;
    }

    /** The drop-in path: the seed's $post_data as JSON (json_encode($post_data), whole
     *  or just its data part), sent exactly as PHP's http_build_query would send it.
     *  Only what SPREAD requires is strict; another field that breaks its rule is
     *  sent as is and listed in warnings(), unless `strict` (then it throws). */
    static Order from_json(std::string_view json, bool strict = false)
    {
        return adopt(spread_order_from_json(detail::c_str(json, "post_data", SPREAD_ERR_INVALID_VALUE).c_str(), strict));
    }
    /** The drop-in path from the body PHP's http_build_query($post_data) built (sent
     *  byte for byte when it is the whole $post_data). Lenient or strict as from_json(). */
    static Order from_form(std::string_view body, bool strict = false)
    {
        return adopt(spread_order_from_form(detail::c_str(body, "body", SPREAD_ERR_INVALID_VALUE).c_str(), strict));
    }

    /** What the lenient drop-in path accepted although a rule says otherwise
     *  ("customer_birthday: ... (sent as is)"); empty for orders built with setters. */
    std::vector<std::string> warnings() const
    {
        std::vector<std::string> all;
        const std::size_t n = spread_order_warning_count(o_);
        for (std::size_t i = 0; i < n; ++i) {
            if (std::optional<std::string> w = detail::take_string(spread_order_warning(o_, i))) {
                all.push_back(std::move(*w));
            }
        }
        return all;
    }

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
    /** Appends all of `values` to the list field `list` ("add_tag", "del_tag",
     *  "add_order_tag" or "del_order_tag"), or none: on error the order is unchanged. */
    Order& add_to_list(std::string_view list, std::initializer_list<std::string_view> values)
    {
        const std::string name = detail::c_str(list, "list", SPREAD_ERR_INVALID_VALUE);
        const detail::CStrings strings(values.begin(), values.end(), name.c_str());
        detail::check(spread_order_add_to_list(o_, name.c_str(), strings.data(), strings.size()));
        return *this;
    }
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
    /** Starts the next product with these "key:value" attributes, all or none: on
     *  error (the refused attribute is named by its index) the order is unchanged. */
    Order& add_product(std::initializer_list<std::string_view> attributes)
    {
        return add_product_with(attributes.begin(), attributes.end());
    }
    Order& add_product(const std::vector<std::string>& attributes)
    {
        return add_product_with(attributes.begin(), attributes.end());
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
    /** data[name] from JSON as the seed's $post_data holds it: field_json("consents",
     *  R"({"NewsEmail":true})"), field_json("add_tag", R"(["vip"])"); checked by the
     *  drop-in's rule, all or nothing (spread_order_set_value). */
    Order& field_json(std::string_view name, std::string_view json)
    {
        const std::string n = detail::c_str(name, "field name", SPREAD_ERR_INVALID_VALUE);
        detail::check(spread_order_set_value(o_, n.c_str(), detail::c_str(json, n.c_str(), SPREAD_ERR_INVALID_VALUE).c_str()));
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
    explicit Order(SpreadOrder* o) noexcept : o_(o) {}

    /** An order a C function made, or what it failed with. */
    static SpreadOrder* copy_of(const SpreadOrder* o)
    {
        SpreadOrder* copy = spread_order_clone(o);
        if (copy == nullptr) {
            detail::throw_last();
        }
        return copy;
    }

    static Order adopt(SpreadOrder* o)
    {
        if (o == nullptr) {
            detail::throw_last();
        }
        return Order(o);
    }

    Order& set(int (*setter)(SpreadOrder*, const char*), const char* field, std::string_view v)
    {
        detail::check(setter(o_, detail::c_str(v, field, SPREAD_ERR_INVALID_VALUE).c_str()));
        return *this;
    }

    template <class It>
    Order& add_product_with(It first, It last)
    {
        const detail::CStrings attributes(first, last, "product_attributes");
        detail::check(spread_order_add_product_with(o_, attributes.data(), attributes.size()));
        return *this;
    }

    SpreadOrder* o_;
};

/** Client settings; unset ones keep libspread's defaults. */
struct Options {
    std::string base_url;                                     // empty: https://social-sb.com/api
    std::optional<std::chrono::milliseconds> timeout;         // whole send (default 30 s)
    std::optional<std::chrono::milliseconds> connect_timeout; // opening a connection (default 10 s)
    std::string tls_roots;                                    // "system" (default), "bundled" or a PEM file
    std::string ca_file;                                      // trust only this PEM file (tls_roots: "system" or the same path)
    std::string proxy;                                        // HTTP CONNECT proxy; empty: none (HTTP_PROXY is never read)
    std::string app_info;                                     // "MyShop/2.1": appended to the User-Agent; empty: none
    std::string spool_dir;                                    // empty: no spool, failures throw
    std::optional<std::uint32_t> max_attempts;                // tries per send (default 3)
    std::optional<std::chrono::milliseconds> flush_budget;    // one flush() at most (default 240 s)
    std::optional<std::chrono::milliseconds> shutdown_timeout; // ~Client waits for enqueued orders (default 2 s)
    std::optional<std::uint32_t> delivery_concurrency;        // orders in flight in flush() and the background (1-32, default 8)
    bool allow_insecure_http = false;                         // plain http to non-loopback hosts
    Logger logger;                                            // empty: no logging; see "Callbacks" above
    LogLevel min_level = LogLevel::Info;                      // the least important level the logger gets

    /** The options set, by libspread's name (spread::options()) and as text, which is
     *  what Client(keys, options) applies; the logger aside. A test checks that every
     *  option of the library's table has its field here and every name here is one. */
    std::vector<std::pair<std::string, std::string>> texts() const
    {
        std::vector<std::pair<std::string, std::string>> set;
        const auto text = [&](const char* name, const std::string& value) {
            if (!value.empty()) set.emplace_back(name, value);
        };
        const auto ms = [&](const char* name, const char* what, const std::optional<std::chrono::milliseconds>& d) {
            if (d) set.emplace_back(name, std::to_string(detail::millis(*d, what)));
        };
        const auto count = [&](const char* name, const std::optional<std::uint32_t>& n) {
            if (n) set.emplace_back(name, std::to_string(*n));
        };
        text("base_url", base_url);
        if (allow_insecure_http) set.emplace_back("allow_insecure_http", "true");
        ms("timeout_ms", "timeout", timeout);
        ms("connect_timeout_ms", "connect_timeout", connect_timeout);
        count("max_attempts", max_attempts);
        text("tls_roots", tls_roots);
        text("ca_file", ca_file);
        text("proxy", proxy);
        text("app_info", app_info);
        text("spool_dir", spool_dir);
        ms("flush_budget_ms", "flush_budget", flush_budget);
        ms("shutdown_timeout_ms", "shutdown_timeout", shutdown_timeout);
        count("delivery_concurrency", delivery_concurrency);
        return set;
    }
};

/** A SPREAD client for the API keys of SPREAD's back office. */
class Client {
public:
    Client(std::string_view public_key, std::string_view private_key)
        : Client(spread_client_new(detail::c_str(public_key, "public_key", SPREAD_ERR_CONFIG).c_str(),
                                   detail::c_str(private_key, "private_key", SPREAD_ERR_CONFIG).c_str()))
    {
    }
    /** A client configured as the `spread` command finds its secrets: the keys file
     *  named by SPREAD_KEYS_FILE, systemd credentials, then SPREAD_PUBLIC_KEY,
     *  SPREAD_PRIVATE_KEY and SPREAD_PROXY, read by libspread (spread_client_new_from_env). */
    static Client from_env() { return Client(spread_client_new_from_env(nullptr)); }
    /** A client for the keys of a keys file (SPREAD_PUBLIC_KEY=... lines, mode 0600 or 0640,
     *  yours or root's), read by libspread (spread_client_new_from_keys_file). */
    static Client from_keys_file(std::string_view path)
    {
        return Client(spread_client_new_from_keys_file(detail::c_str(path, "keys_file", SPREAD_ERR_CONFIG).c_str()));
    }

private:
    /** Takes a client libspread made (NULL: its error is thrown). */
    explicit Client(SpreadClient* made) : c_(made)
    {
        if (c_ == nullptr) {
            detail::throw_last();
        }
        if (spread_abi_version() < SPREAD_ABI_VERSION) {
            spread_client_free(std::exchange(c_, nullptr));
            detail::throw_error(SPREAD_ERR_CONFIG, "libspread: the library loaded has ABI " + std::to_string(spread_abi_version()) +
                                                       ", spread.hpp needs " + std::to_string(SPREAD_ABI_VERSION) + " or later");
        }
    }

public:
    Client(std::string_view public_key, std::string_view private_key, const Options& options)
        : Client(public_key, private_key)
    {
        // The logger first, to hear about the rest; then every option by name, in any order,
        // and the rules between them, so that a mistake shows here rather than at the first send.
        if (options.logger) logger(options.logger, options.min_level);
        for (const auto& [name, value] : options.texts()) {
            option(name, value);
        }
        check();
    }
    /** Turns logging off, then frees the client (waiting at most the shutdown
     *  timeout for orders enqueue() left to the background thread). */
    ~Client() { close(); }
    Client(Client&& other) noexcept
        : c_(std::exchange(other.c_, nullptr)), log_(std::move(other.log_)), enqueued_(other.enqueued_.load())
    {
    }
    Client& operator=(Client&& other) noexcept
    {
        if (this != &other) {
            close();
            c_ = std::exchange(other.c_, nullptr);
            log_ = std::move(other.log_);
            enqueued_ = other.enqueued_.load();
        }
        return *this;
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /** Sets any option of spread::options() by name, as text: option("timeout_ms", "5000").
     *  The value is checked now (spread::Config naming the option, client unchanged). */
    Client& option(std::string_view name, std::string_view value)
    {
        const std::string n = detail::c_str(name, "name", SPREAD_ERR_CONFIG);
        detail::check(spread_client_set_option(c_, n.c_str(), detail::c_str(value, n.c_str(), SPREAD_ERR_CONFIG).c_str()));
        return *this;
    }
    /** Checks the rules between options, as the first send, enqueue or flush does: plain
     *  http to a host that is not loopback needs allow_insecure_http; ca_file and a
     *  tls_roots naming other roots conflict. Throws spread::Config naming both. */
    const Client& check() const
    {
        detail::check(spread_client_check(c_));
        return *this;
    }
    /** The API root; orders go to <url>/updateOrder. Plain http only to loopback
     *  hosts unless allow_insecure_http(), before or after: checked at first use. */
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
    /** Which certificate authorities https trusts: "system" (the default: the host's
     *  store, SSL_CERT_FILE and SSL_CERT_DIR included), "bundled" (Mozilla's roots
     *  inside libspread), or the path of a PEM file. */
    Client& tls_roots(std::string_view roots)
    {
        detail::check(spread_client_set_tls_roots(c_, detail::c_str(roots, "tls_roots", SPREAD_ERR_CONFIG).c_str()));
        return *this;
    }
    /** Trusts only the CA certificates of this PEM file (read now). */
    Client& ca_file(std::string_view path)
    {
        detail::check(spread_client_set_ca_file(c_, detail::c_str(path, "ca_file", SPREAD_ERR_CONFIG).c_str()));
        return *this;
    }
    /** Sends through this HTTP CONNECT proxy ("http://host:port"), never for loopback
     *  hosts; "" for none. Proxy variables (HTTP_PROXY...) are never read. */
    Client& proxy(std::string_view url)
    {
        detail::check(spread_client_set_proxy(c_, detail::c_str(url, "proxy", SPREAD_ERR_CONFIG).c_str()));
        return *this;
    }
    /** Names your application in the User-Agent: "MyShop/2.1" sends
     *  "libspread/0.1.0 MyShop/2.1". Printable ASCII, at most 128 bytes; empty: none. */
    Client& app_info(std::string_view app)
    {
        detail::check(spread_client_set_app_info(c_, detail::c_str(app, "app_info", SPREAD_ERR_CONFIG).c_str()));
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
    /** How long one flush() may run before it leaves the rest for the next; more than 0. */
    Client& flush_budget(std::chrono::milliseconds budget)
    {
        detail::check(spread_client_set_flush_budget_ms(c_, detail::millis(budget, "flush_budget")));
        return *this;
    }
    /** Orders of different ids flush() and the background delivery keep in flight at once (1 to 32). */
    Client& delivery_concurrency(std::uint32_t concurrency)
    {
        detail::check(spread_client_set_delivery_concurrency(c_, concurrency));
        return *this;
    }
    /** How long ~Client waits for the background delivery of enqueued orders (0: not at all). */
    Client& shutdown_timeout(std::chrono::milliseconds timeout)
    {
        detail::check(spread_client_set_shutdown_timeout_ms(c_, detail::millis(timeout, "shutdown_timeout")));
        return *this;
    }
    /** Allows plain http to non-loopback hosts (the keys then travel in clear). */
    Client& allow_insecure_http(bool allow = true)
    {
        detail::check(spread_client_set_allow_insecure_http(c_, allow));
        return *this;
    }
    /** Sends log records of `min_level` and more important ones to `logger` (a copy is
     *  kept); an empty logger turns logging off. See "Callbacks" at the top. */
    Client& logger(Logger fn, LogLevel min_level = LogLevel::Info)
    {
        if (c_ == nullptr) {
            detail::check(spread_client_set_logger(c_, nullptr, nullptr, 0));  // throws NullArgument
        }
        release_logger();
        if (fn) {
            auto bridge = std::make_unique<detail::LogBridge>();
            bridge->logger = std::move(fn);
            detail::check(spread_client_set_logger(c_, &detail::LogBridge::call, bridge.get(), static_cast<int>(min_level)));
            log_ = std::move(bridge);
        }
        return *this;
    }
    /** Keeps log records in a queue (up to 1000) that next_log() drains on the
     *  caller's thread, instead of a logger called from libspread's threads. */
    Client& log_queue(LogLevel min_level)
    {
        release_logger();
        detail::check(spread_client_set_log_queue(c_, static_cast<int>(min_level)));
        return *this;
    }
    /** The oldest queued log record as a JSON object, or nullopt when none waits. */
    std::optional<std::string> next_log() const { return detail::take_string(spread_client_next_log(c_)); }

    /** Sends `order` (borrowed; it may be sent again). With a spool, an order
     *  that cannot be delivered now is kept and the Response says `queued`. */
    Response send(const Order& order) const
    {
        SpreadResponse* out = nullptr;
        const int status = spread_send(c_, order.native(), &out);
        const std::unique_ptr<SpreadResponse, detail::ResponseFree> owned(out);
        if (status == SPREAD_QUEUED) {
            return queued(order);
        }
        detail::check(status);
        Response r{spread_response_status(out), spread_response_body(out), false, spread_response_truncated(out), {}};
        const std::size_t n = spread_response_warning_count(out);
        for (std::size_t i = 0; i < n; ++i) {
            r.warnings.emplace_back(spread_response_warning(out, i));
        }
        return r;
    }

    /** Writes `order` durably to the spool and returns at once (queued = true): a
     *  background thread of this process delivers it, with send()'s retries and
     *  ordering; if the process ends first, the next flush() (any process, the cron
     *  `spread flush`) does. Needs a spool folder (else Config). */
    Response enqueue(const Order& order) const
    {
        const int status = spread_enqueue(c_, order.native());
        if (status != SPREAD_QUEUED) {
            detail::check(status == SPREAD_OK ? SPREAD_ERR_PANIC : status);
        }
        enqueued_ = true;
        return queued(order);
    }

    /** Sends `orders` (borrowed) on up to `concurrency` threads (1 to max_concurrency(),
     *  else Config), each as send() would, reusing connections; blocks until all are
     *  done (spread_send_batch; spread_send_many gives statuses only). A failed order
     *  does not stop the others: see each result. `progress(done, total)` is called on
     *  this thread at most every 100 ms and once at the end; an exception it throws
     *  stops the reports and is rethrown once the batch is done. Throws only when the
     *  call itself fails (bad concurrency, a moved-from client). */
    SendManyResult send_many(const std::vector<Order>& orders, std::uint32_t concurrency = 8,
                             const std::function<void(std::size_t done, std::size_t total)>& progress = {}) const
    {
        std::vector<const SpreadOrder*> handles;
        handles.reserve(orders.size());
        for (const Order& order : orders) {
            handles.push_back(order.native());
        }
        detail::ProgressBridge bridge{&progress, nullptr};
        SpreadBatch* out = nullptr;
        const int status = spread_send_batch(c_, handles.data(), handles.size(), concurrency,
                                             progress ? &detail::ProgressBridge::call : nullptr, &bridge, &out);
        const std::unique_ptr<SpreadBatch, detail::BatchFree> batch(out);
        if (!batch) {
            detail::check(status == SPREAD_OK ? SPREAD_ERR_PANIC : status);
        }
        if (bridge.error) {
            std::rethrow_exception(bridge.error);
        }
        SendManyResult result;
        const std::size_t n = spread_batch_len(out);
        for (std::size_t i = 0; i < n; ++i) {
            SendResult r{spread_batch_status(out, i), spread_batch_http_status(out, i), spread_batch_message(out, i)};
            if (r.failed() && result.error.empty()) {
                result.error = r.message;
            }
            result.statuses.push_back(r.status);
            result.results.push_back(std::move(r));
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

    /** The spool's counts from this client's point of view. */
    SpoolStatus spool_status() const
    {
        SpreadSpoolStatus c_st{};
        c_st.size = sizeof c_st;
        detail::check(spread_spool_status(c_, &c_st));
        const auto age = [](std::int64_t secs) -> std::optional<std::chrono::seconds> {
            if (secs < 0) {
                return std::nullopt;
            }
            return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(secs));
        };
        SpoolStatus st;
        st.pending = c_st.pending;
        st.foreign = c_st.foreign;
        st.legacy = c_st.legacy;
        st.rejected = c_st.rejected;
        st.unreadable = c_st.unreadable;
        st.oldest = age(c_st.oldest_secs);
        st.stranded = c_st.stranded;
        st.stranded_oldest = age(c_st.stranded_oldest_secs);
        if (std::optional<std::string> json = detail::take_string(spread_spool_status_json(c_))) {
            st.json = std::move(*json);
        }
        return st;
    }

    /** The orders SPREAD refused, oldest first, as a JSON array of objects with
     *  name, order_id, answer, age_secs and base_url. They hold customers' data. */
    std::string rejected_json() const
    {
        std::optional<std::string> json = detail::take_string(spread_spool_rejected_json(c_));
        if (!json) {
            detail::throw_last();
        }
        return std::move(*json);
    }

    /** Puts the rejected entry `name` back at the end of the queue; returns 1. */
    std::size_t requeue(std::string_view name) const
    {
        std::size_t count = 0;
        detail::check(spread_spool_requeue(c_, detail::c_str(name, "name", SPREAD_ERR_INVALID_VALUE).c_str(), &count));
        return count;
    }
    /** Puts every rejected entry of this client's destination back in the queue; returns how many. */
    std::size_t requeue_all() const
    {
        std::size_t count = 0;
        detail::check(spread_spool_requeue(c_, nullptr, &count));
        return count;
    }
    /** Deletes the rejected entries set aside at least `older_than` ago (0: all); returns how many. */
    std::size_t purge_rejected(std::chrono::seconds older_than) const
    {
        if (older_than.count() < 0) {
            detail::throw_error(SPREAD_ERR_INVALID_VALUE, "older_than: must not be negative");
        }
        std::size_t count = 0;
        detail::check(spread_spool_purge_rejected(c_, static_cast<std::uint64_t>(older_than.count()), &count));
        return count;
    }
    /** Moves the spooled entries of an old base URL or an old public key (empty: this
        client's own) to this client's destination, keeping their order; returns how many. */
    std::size_t adopt(const std::string& from_base_url, const std::string& from_public_key = "") const
    {
        std::size_t count = 0;
        detail::check(spread_spool_adopt(c_, from_base_url.empty() ? nullptr : from_base_url.c_str(),
                                         from_public_key.empty() ? nullptr : from_public_key.c_str(), &count));
        return count;
    }

    /** The C handle, borrowed (NULL once moved from): for the C API. */
    SpreadClient* native() const noexcept { return c_; }
    /** False once moved from. */
    explicit operator bool() const noexcept { return c_ != nullptr; }

private:
    static Response queued(const Order& order) { return Response{0, std::string(), true, false, order.warnings()}; }

    /** Stops the C client calling the logger and lets go of it. The enqueue delivery
     *  thread may outlive this client and keep its logger (libspread ABI 2 does not
     *  promise otherwise), so once this client enqueued, the emptied bridge is kept
     *  until the process ends rather than freed under that thread. */
    void release_logger() noexcept
    {
        if (!log_) {
            return;
        }
        if (c_ != nullptr) {
            // Cannot fail with a live client; GCC's warn_unused_result ignores a (void) cast.
            const int unset = spread_client_set_logger(c_, nullptr, nullptr, 0);
            static_cast<void>(unset);
        }
        {
            const std::lock_guard<std::mutex> lock(log_->mutex);  // waits for a call in progress
            log_->logger = nullptr;
        }
        if (enqueued_) {
            detail::LogBridge::park(std::move(log_));
        }
        log_.reset();
    }

    void close() noexcept
    {
        release_logger();
        spread_client_free(std::exchange(c_, nullptr));
    }

public:
    /** Waits, as the destructor does (at most the shutdown timeout; not at all while
     *  SPREAD cannot be reached), for the background delivery of what enqueue()
     *  queued, and keeps the client usable. */
    void wait_for_deliveries() const { spread_client_close(c_); }

private:

    SpreadClient* c_;
    std::unique_ptr<detail::LogBridge> log_;
    mutable std::atomic<bool> enqueued_{false};
};

} // namespace spread

#endif /* SPREAD_HPP */
