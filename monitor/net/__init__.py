"""The network bounds shared by the sources and the sinks: total deadlines on an exchange
(``deadline``; ``adapter`` applies them to requests) and the server's ``Retry-After``
(``retry_after``). Below both; imports neither."""
