// Signing on its own: add siderov1 headers to a request you send yourself (here: Omni's /api
// gateway with plain fetch). Type-checked by `make test-types`.
import { Signer } from "omni-wasm";

export async function listClustersRaw(endpoint: string, serviceAccountKey: string): Promise<string> {
  const signer = Signer.fromServiceAccountKey(serviceAccountKey);
  const method = "/cosi.resource.State/List";
  const headers = await signer.signGrpc(method, {});
  const res = await fetch(`${endpoint}/api${method}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [`Grpc-Metadata-${k}`, v])),
    },
    body: JSON.stringify({ namespace: "default", type: "Clusters.omni.sidero.dev" }),
  });
  return res.text(); // newline-delimited {"result": …} objects
}

export async function browserKey(email: string): Promise<string> {
  // a non-extractable WebCrypto key, as Omni's web UI registers
  const signer = await Signer.generateEcdsa(email);
  return signer.publicKey(); // PEM, for auth.AuthService/RegisterPublicKey (plain_key)
}
