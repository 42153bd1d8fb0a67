// The HTTP side of the protocol (PROTOCOL.md sections 3, 8, 9): log in, register, guest, user
// search and uploads. Errors become ApiError with the server's code and message.

export class ApiError extends Error {
  constructor(code, message, status = 0, extra = {}) {
    super(message || code);
    this.code = code;
    this.status = status;
    Object.assign(this, extra);
  }
}

async function call(method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('network', 'Cannot reach the server. Check your connection.');
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(e.code || 'http_' + response.status, e.message || response.statusText, response.status, {
      retryAfterMs: e.retry_after_ms,
    });
  }
  return data;
}

export const api = {
  login: (username, password) => call('POST', '/api/v1/auth/login', { body: { username, password } }),
  register: (username, password, displayName) =>
    call('POST', '/api/v1/auth/register', { body: { username, password, display_name: displayName } }),
  guest: (displayName) =>
    call('POST', '/api/v1/auth/guest', { body: displayName ? { display_name: displayName } : {} }),
  searchUsers: (token, query) =>
    call('GET', `/api/v1/users?query=${encodeURIComponent(query)}`, { token }).then((d) => d.users || []),

  // multipart/form-data upload with progress (fetch has no upload progress). Resolves
  // {file_id, name, size, mime, url}. abortSignal cancels.
  upload(token, file, onProgress, abortSignal) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/v1/files');
      xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status === 201 && xhr.response) return resolve(xhr.response);
        const e = (xhr.response && xhr.response.error) || {};
        reject(new ApiError(e.code || 'http_' + xhr.status, e.message || 'Upload failed', xhr.status));
      };
      xhr.onerror = () => reject(new ApiError('network', 'Upload failed: no connection'));
      xhr.onabort = () => reject(new ApiError('aborted', 'Upload cancelled'));
      if (abortSignal) abortSignal.addEventListener('abort', () => xhr.abort(), { once: true });
      const form = new FormData();
      form.append('file', file, file.name || 'file');
      xhr.send(form);
    });
  },
};
