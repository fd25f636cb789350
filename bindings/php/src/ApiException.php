<?php

declare(strict_types=1);

namespace Spread;

/** SPREAD answered, but not with a delivery: the keys (AuthException), the order's content (RejectedException), a failure on its side (ServerException) or a wrong endpoint (EndpointException). httpStatus() is the status it answered. */
abstract class ApiException extends Exception
{
}
