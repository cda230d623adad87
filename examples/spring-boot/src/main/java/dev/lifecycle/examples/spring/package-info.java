/** The users service of {@code examples/} on Spring Boot, through {@code lifecycle-spring-boot-starter}. */
package dev.lifecycle.examples.spring;
