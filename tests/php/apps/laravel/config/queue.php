<?php

// The sync queue still serializes each job (its payload) and runs it from that: what a worker does.
return [
    'default' => 'sync',
    'connections' => ['sync' => ['driver' => 'sync']],
    'failed' => ['driver' => 'null'],
];
