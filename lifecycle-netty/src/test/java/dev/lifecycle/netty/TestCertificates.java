package dev.lifecycle.netty;

import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.SelfSignedCertificate;

/**
 * One self-signed certificate for {@code localhost} (an EC key: fast to generate on a loaded machine), generated once
 * per test JVM, and the contexts that use it. Netty 4.2 deprecates {@code SelfSignedCertificate} in favour of its
 * {@code netty-pkitesting} module; it still works (with Bouncy Castle) and keeps the tests to one more test dependency.
 */
@SuppressWarnings("deprecation")
final class TestCertificates {

    private static final SelfSignedCertificate CERTIFICATE = generate();

    private TestCertificates() {
    }

    private static SelfSignedCertificate generate() {
        try {
            return new SelfSignedCertificate("localhost", "EC", 256);
        } catch (CertificateException e) {
            throw new IllegalStateException("Cannot generate a self-signed certificate", e);
        }
    }

    /** A server context offering {@code h2} then {@code http/1.1} through ALPN, on the JDK's TLS. */
    static SslContext serverContext() {
        try {
            return SslContextBuilder.forServer(CERTIFICATE.certificate(), CERTIFICATE.privateKey())
                                    .sslProvider(SslProvider.JDK)
                                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                                            ApplicationProtocolConfig.Protocol.ALPN,
                                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                                    .build();
        } catch (SSLException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A client context that trusts the certificate, for the JDK {@code HttpClient}. */
    static SSLContext clientContext() {
        try {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            X509Certificate certificate = CERTIFICATE.cert();
            trusted.setCertificateEntry("localhost", certificate);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("Cannot trust the test certificate", e);
        }
    }
}
