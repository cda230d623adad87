/** Spring Boot auto-configuration of a {@link dev.lifecycle.core.Lifecycle} for servlet applications. */
package dev.lifecycle.spring.boot;
