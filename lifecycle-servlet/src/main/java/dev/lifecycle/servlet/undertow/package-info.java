/** Optional Undertow integration: closes idle keep-alive connections when the drain begins. */
package dev.lifecycle.servlet.undertow;
