<?php
/*
 * Runs the seed integration's curl block (tests/fixtures/spread-updateOrder-integration.txt,
 * "APPEL CURL") unchanged, except for the URL and keys, so tests can compare against
 * exactly what shops send today.
 *
 * stdin: JSON {"url": "...", "userpwd": "PUB:PRIV", "post_data": {...}, "timeout": 30}
 *   post_data goes through json_decode(..., true), which yields the very array PHP code
 *   would build: "158.31" stays a string and 158.31 a float, 10 an int, true a bool,
 *   {"327": "v"} an array with the int key 327 (PHP turns numeric-string keys into ints
 *   anyway), key order kept. Not representable: NAN/INF (JSON has none).
 *   With "only_build_query": true, just prints http_build_query($post_data) raw.
 * stdout: JSON {"http_code", "body", "errno", "error", "redirect_count", "total_time"}
 *   (body null when curl_exec failed).
 */
declare(strict_types=1);

$in = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$post_data = $in['post_data'];

if (!empty($in['only_build_query'])) {
    echo http_build_query($post_data);
    exit(0);
}

// ---- the seed's block, verbatim apart from URL and USERPWD (and a timeout for tests) ----
$curl_post_data = http_build_query($post_data);
$curl = curl_init();
curl_setopt($curl, CURLOPT_URL, $in['url']);
curl_setopt($curl, CURLOPT_POST, true);
curl_setopt($curl, CURLOPT_POSTREDIR, CURL_REDIR_POST_ALL);
curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true);
curl_setopt($curl, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
curl_setopt($curl, CURLOPT_USERPWD, $in['userpwd']);
curl_setopt($curl, CURLOPT_POSTFIELDS,$curl_post_data );
curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
curl_setopt($curl, CURLOPT_TIMEOUT, (int)($in['timeout'] ?? 30));
$curl_return = curl_exec($curl);
// -------------------------------------------------------------------------------------------

echo json_encode([
    'http_code' => curl_getinfo($curl, CURLINFO_RESPONSE_CODE),
    'body' => $curl_return === false ? null : $curl_return,
    'errno' => curl_errno($curl),
    'error' => curl_error($curl),
    'redirect_count' => curl_getinfo($curl, CURLINFO_REDIRECT_COUNT),
    'total_time' => curl_getinfo($curl, CURLINFO_TOTAL_TIME),
], JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE);
curl_close($curl);
