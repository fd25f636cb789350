<?php
/*
 * A stand-in proxy for ProxyTest: listens on 127.0.0.1:argv[1], writes
 * "ready" to stdout, takes one connection (within argv[3] seconds), appends
 * the request head it receives (up to the blank line) to the file argv[2],
 * answers 502 and exits. An empty file afterwards: nobody came.
 */

declare(strict_types=1);

[, $port, $out, $wait] = $argv;
$server = stream_socket_server("tcp://127.0.0.1:$port", $errno, $errstr) ?: exit("listen: $errstr\n");
file_put_contents($out, '');
echo "ready\n";
$conn = @stream_socket_accept($server, (float)$wait);
if ($conn === false) {
    exit(0);
}
stream_set_timeout($conn, 5);
$head = '';
while (!str_contains($head, "\r\n\r\n") && ($line = fgets($conn)) !== false) {
    $head .= $line;
}
file_put_contents($out, $head, FILE_APPEND);
fwrite($conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
fclose($conn);
