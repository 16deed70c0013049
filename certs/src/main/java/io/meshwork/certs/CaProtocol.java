package io.meshwork.certs;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The CA service's wire contract: Istio's {@code istio.v1.auth.IstioCertificateService/CreateCertificate},
 * field for field, so the call is the one Istio's agents make. The request carries a PEM CSR and a
 * requested lifetime in seconds (0: the CA's default); the response the PEM chain, leaf first,
 * ending with the root. The caller's credential travels as {@code authorization: Bearer <token>}.
 *
 * <pre>
 * message IstioCertificateRequest  { string csr = 1; int64 validity_duration = 2; google.protobuf.Struct metadata = 3; }
 * message IstioCertificateResponse { repeated string cert_chain = 1; }
 * </pre>
 */
public final class CaProtocol {

    public static final String SERVICE = "istio.v1.auth.IstioCertificateService";
    /** The CA's port, shared with the secured xDS stream (as istiod's). */
    public static final int DEFAULT_PORT = 15012;
    /** A CSR is a few hundred bytes; a request of more than this is refused before it is read. */
    public static final int MAX_REQUEST_BYTES = 64 * 1024;
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    public record CertificateRequest(String csr, long validitySeconds) {
    }

    public record CertificateResponse(List<String> certChain) {
        public CertificateResponse {
            certChain = List.copyOf(certChain);
        }
    }

    public static final MethodDescriptor<CertificateRequest, CertificateResponse> CREATE_CERTIFICATE =
            MethodDescriptor.<CertificateRequest, CertificateResponse>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "CreateCertificate"))
                    .setRequestMarshaller(new RequestMarshaller())
                    .setResponseMarshaller(new ResponseMarshaller())
                    .build();

    private CaProtocol() {
    }

    private static final class RequestMarshaller implements MethodDescriptor.Marshaller<CertificateRequest> {
        @Override
        public InputStream stream(CertificateRequest value) {
            return encode(out -> {
                out.writeString(1, value.csr());
                if (value.validitySeconds() != 0) {
                    out.writeInt64(2, value.validitySeconds());
                }
            });
        }

        @Override
        public CertificateRequest parse(InputStream stream) {
            try {
                CodedInputStream in = CodedInputStream.newInstance(stream);
                String csr = "";
                long validity = 0;
                for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                    switch (tag) {
                        case (1 << 3) | 2 -> csr = in.readString();
                        case (2 << 3) -> validity = in.readInt64();
                        default -> in.skipField(tag); // metadata and anything newer
                    }
                }
                return new CertificateRequest(csr, validity);
            } catch (IOException e) {
                throw new IllegalArgumentException("malformed IstioCertificateRequest: " + e.getMessage(), e);
            }
        }
    }

    private static final class ResponseMarshaller implements MethodDescriptor.Marshaller<CertificateResponse> {
        @Override
        public InputStream stream(CertificateResponse value) {
            return encode(out -> {
                for (String pem : value.certChain()) {
                    out.writeString(1, pem);
                }
            });
        }

        @Override
        public CertificateResponse parse(InputStream stream) {
            try {
                CodedInputStream in = CodedInputStream.newInstance(stream);
                List<String> chain = new ArrayList<>();
                for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                    if (tag == ((1 << 3) | 2)) {
                        chain.add(in.readString());
                    } else {
                        in.skipField(tag);
                    }
                }
                return new CertificateResponse(chain);
            } catch (IOException e) {
                throw new IllegalArgumentException("malformed IstioCertificateResponse: " + e.getMessage(), e);
            }
        }
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static InputStream encode(Writer writer) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            writer.write(out);
            out.flush();
            return new ByteArrayInputStream(bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
