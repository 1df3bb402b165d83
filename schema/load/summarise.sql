-- One of APEL's summarising procedures (server.sql), run as the server runs it at night.
CALL {procedure}()
