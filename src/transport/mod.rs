//! Transports: the gateway (`/api` JSON over fetch) and gRPC-web.
