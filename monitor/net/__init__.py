"""The network bounds shared by the sources and the sinks: total deadlines on a request
(``deadline``) and the server's ``Retry-After`` (``retry_after``). Below both; imports
neither."""
