/** Implementation details of lifecycle-core: not API, may change in any release. */
package dev.lifecycle.core.internal;
