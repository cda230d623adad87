/** Implementation classes that a servlet container must be able to instantiate; not an API. */
package dev.lifecycle.servlet.internal;
