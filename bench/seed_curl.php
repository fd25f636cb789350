<?php
/*
 * The seed integration's curl block (tests/fixtures/spread-updateOrder-integration.txt,
 * "APPEL CURL"), run once per order as a shop runs it: a new handle per order,
 * CURLAUTH_ANY (a probe without credentials, then Basic: two requests per order).
 * Verbatim apart from the URL and keys, CURLOPT_CAINFO for the benchmark's test CA
 * (HTTPS only), and a check that SPREAD answered 200 (a benchmark must not time failures).
 *
 * stdin: JSON {"url", "userpwd", "post_data", "n", "warmup", "cainfo"?}
 *   "mode": "seq" (default) times the seed block n times after `warmup` untimed ones;
 *   "http_build_query" times http_build_query($post_data) alone, n times.
 * stdout: JSON {"n", "seconds"}, and for "seq" "calls": each order's time (the
 * checkout's call: the block from http_build_query to curl_close), in seconds
 */
declare(strict_types=1);

$in = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$post_data = $in['post_data'];
$n = (int)$in['n'];

if (($in['mode'] ?? 'seq') === 'http_build_query') {
    $t0 = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $curl_post_data = http_build_query($post_data);
    }
    $seconds = (hrtime(true) - $t0) / 1e9;
    if (strlen($curl_post_data) !== 1436) {
        fwrite(STDERR, "unexpected body length " . strlen($curl_post_data) . "\n");
        exit(1);
    }
    echo json_encode(['n' => $n, 'seconds' => $seconds]), "\n";
    exit(0);
}

$url = $in['url'];
$userpwd = $in['userpwd'];
$cainfo = $in['cainfo'] ?? null;
$warmup = (int)($in['warmup'] ?? 1);

$calls = [];
for ($i = 0; $i < $warmup + $n; $i++) {
    if ($i === $warmup) {
        $t0 = hrtime(true);
    }
    $post_data["data"]["order_idorder"] = $post_data["request"]["order_idorder"] = sprintf('%07d', $i + 1);
    $call = hrtime(true);
    // ---- the seed's block ----
    $curl_post_data = http_build_query($post_data);
    $curl = curl_init();
    curl_setopt($curl, CURLOPT_URL, $url);
    curl_setopt($curl, CURLOPT_POST, true);
    curl_setopt($curl, CURLOPT_POSTREDIR, CURL_REDIR_POST_ALL);
    curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true);
    curl_setopt($curl, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
    curl_setopt($curl, CURLOPT_USERPWD, $userpwd);
    curl_setopt($curl, CURLOPT_POSTFIELDS,$curl_post_data );
    curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
    if ($cainfo !== null) {
        curl_setopt($curl, CURLOPT_CAINFO, $cainfo);
    }
    $curl_return = curl_exec($curl);
    // ---------------------------
    $code = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    if ($curl_return === false || $code !== 200) {
        fwrite(STDERR, "order $i: HTTP $code, curl error " . curl_errno($curl) . ": " . curl_error($curl) . "\n");
        exit(1);
    }
    curl_close($curl);
    if ($i >= $warmup) {
        $calls[] = (hrtime(true) - $call) / 1e9;
    }
}
$seconds = (hrtime(true) - $t0) / 1e9;
echo json_encode(['n' => $n, 'seconds' => $seconds, 'calls' => $calls]), "\n";
