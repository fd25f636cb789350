<?php
// HTTP authentication: Basic (normal mode) or Digest only (fault mode "digest", RFC 7616).
declare(strict_types=1);

const SANDBOX_REALM = 'SPREAD sandbox';

function auth_keys(): array
{
    return [
        getenv('SPREAD_SANDBOX_PUBLIC_KEY') ?: 'PUBLIC_KEY',
        getenv('SPREAD_SANDBOX_PRIVATE_KEY') ?: 'PRIVATE_KEY',
    ];
}

/** The scheme of the Authorization header ("none" when absent), for the request log. */
function auth_scheme(): string
{
    $h = trim($_SERVER['HTTP_AUTHORIZATION'] ?? '');
    if ($h === '') {
        return 'none';
    }
    $scheme = strtok($h, " \t");
    // Normalise the case of the two schemes we know; anything else is logged as sent.
    foreach (['Basic', 'Digest'] as $known) {
        if (strcasecmp($scheme, $known) === 0) {
            return $known;
        }
    }
    return $scheme;
}

/**
 * Returns null when the request is authenticated, else [status, headers, message]
 * for the 401 to send.
 */
function auth_check(?string $digestAlgorithm): ?array
{
    [$user, $pass] = auth_keys();
    if ($digestAlgorithm === null) {
        // php -S fills PHP_AUTH_USER/PHP_AUTH_PW from an "Authorization: Basic" header.
        $ok = auth_scheme() === 'Basic'
            && hash_equals($user, (string)($_SERVER['PHP_AUTH_USER'] ?? ''))
            && hash_equals($pass, (string)($_SERVER['PHP_AUTH_PW'] ?? ''));
        return $ok ? null : [401, ['WWW-Authenticate: Basic realm="' . SANDBOX_REALM . '"'],
                             'authentication required (HTTP Basic with the API keys)'];
    }
    $error = auth_digest_error($digestAlgorithm, $user, $pass);
    if ($error === null) {
        return null;
    }
    return [401, [auth_digest_challenge($digestAlgorithm)], "digest authentication failed: $error"];
}

function auth_digest_secret(): string
{
    [, $pass] = auth_keys();
    return hash('sha256', $pass . "\0" . (getenv('SPREAD_SANDBOX_DB') ?: ''));
}

function auth_digest_challenge(string $alg): string
{
    // Stateless nonce: random part + time, signed, so any worker can verify it.
    $rand = bin2hex(random_bytes(8)) . '.' . time();
    $nonce = $rand . '.' . hash_hmac('sha256', $rand, auth_digest_secret());
    $opaque = hash_hmac('md5', 'opaque', auth_digest_secret());
    return sprintf('WWW-Authenticate: Digest realm="%s", qop="auth", algorithm=%s, nonce="%s", opaque="%s"',
        SANDBOX_REALM, $alg, $nonce, $opaque);
}

/** Why the Digest Authorization header is not acceptable, or null if it is. */
function auth_digest_error(string $alg, string $user, string $pass): ?string
{
    if (auth_scheme() !== 'Digest') {
        return 'Digest required, got ' . auth_scheme();
    }
    $p = auth_digest_params(substr(trim($_SERVER['HTTP_AUTHORIZATION']), 6));
    foreach (['username', 'realm', 'nonce', 'uri', 'response', 'qop', 'nc', 'cnonce'] as $k) {
        if (!isset($p[$k])) {
            return "missing $k";
        }
    }
    if (($p['algorithm'] ?? 'MD5') !== $alg) {
        return "algorithm must be $alg";
    }
    if ($p['qop'] !== 'auth') {
        return 'qop must be auth';
    }
    if ($p['realm'] !== SANDBOX_REALM) {
        return 'wrong realm';
    }
    if ($p['uri'] !== $_SERVER['REQUEST_URI']) {
        return 'uri does not match the request';
    }
    if (($p['opaque'] ?? null) !== hash_hmac('md5', 'opaque', auth_digest_secret())) {
        return 'wrong opaque';
    }
    $parts = explode('.', $p['nonce']);
    if (count($parts) !== 3
        || !hash_equals(hash_hmac('sha256', $parts[0] . '.' . $parts[1], auth_digest_secret()), $parts[2])) {
        return 'unknown nonce';
    }
    // nc replay tracking is deliberately not implemented: clients only need a valid hash here.
    $h = fn(string $s): string => hash($alg === 'MD5' ? 'md5' : 'sha256', $s);
    $ha1 = $h("$user:" . SANDBOX_REALM . ":$pass");
    $ha2 = $h($_SERVER['REQUEST_METHOD'] . ':' . $p['uri']);
    $expected = $h("$ha1:{$p['nonce']}:{$p['nc']}:{$p['cnonce']}:{$p['qop']}:$ha2");
    if (!hash_equals($user, $p['username']) || !hash_equals($expected, strtolower($p['response']))) {
        return 'wrong credentials';
    }
    return null;
}

/** Parses `k="quoted", k2=token` auth-params. */
function auth_digest_params(string $s): array
{
    preg_match_all('/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\s,]*))/', $s, $m, PREG_SET_ORDER);
    $out = [];
    foreach ($m as $match) {
        $out[strtolower($match[1])] = isset($match[3]) && $match[3] !== ''
            ? $match[3]
            : preg_replace('/\\\\(.)/s', '$1', $match[2]);
    }
    return $out;
}
