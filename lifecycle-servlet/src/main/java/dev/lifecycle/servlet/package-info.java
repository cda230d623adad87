/** Jakarta Servlet adapter: a drain-aware {@link dev.lifecycle.servlet.LifecycleFilter} and a probe servlet. */
package dev.lifecycle.servlet;
