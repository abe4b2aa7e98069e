{
  'variables': {
    # 1: link the distribution's shared libbpf/libelf/libz and use its headers (for packagers).
    'use_system_libbpf%': 0,
    # 1: build with AddressSanitizer and UBSan (run node with LD_PRELOAD of libasan).
    'sanitize%': 0,
  },
  'targets': [
    {
      'target_name': 'bpfkit',
      'sources': [
        'native/src/addon.cc',
        'native/src/args.cc',
        'native/src/attach_spec.cc',
        'native/src/bpf_object.cc',
        'native/src/embedded_objects.cc',
        'native/src/errors.cc',
        'native/src/event_reader.cc',
        'native/src/event_source.cc',
        'native/src/glibc_compat.cc',
        'native/src/layouts.cc',
        'native/src/libbpf_log.cc',
        'native/src/object_options.cc',
        'native/src/record_batcher.cc',
      ],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        'native/src',
        'native/bpf',
      ],
      'defines': [
        'NAPI_VERSION=8',
        'NAPI_CPP_EXCEPTIONS',
        'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
      ],
      'cflags!': ['-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions', '-std=gnu++17', '-std=gnu++20'],
      'cflags': ['-O2', '-fvisibility=hidden'],
      'cflags_cc': ['-std=c++17', '-fexceptions', '-fvisibility-inlines-hidden'],
      'ldflags': ['-Wl,-z,now'],
      'conditions': [
        ['use_system_libbpf==0', {
          'variables': {
            'deps_prefix': '<!(sh scripts/static-deps-prefix.sh)',
          },
          # Ahead of our own dirs and the system's. node-gyp still lists node's dirs first; they
          # hold a zlib.h of node's own, which is why nothing here includes zlib.h directly.
          'include_dirs+': ['<(deps_prefix)/include'],
          'libraries': [
            # Full paths: -lelf would pick a shared libelf.so if one sits next to the archive.
            '<(deps_prefix)/lib/libbpf.a',
            '<(deps_prefix)/lib/libelf.a',
            '<(deps_prefix)/lib/libz.a',
          ],
          # Keeps the archives' symbols private, so libelf's zlib calls bind to our zlib and not
          # to the copy the node binary exports.
          'ldflags': ['-Wl,--exclude-libs,ALL'],
        }, {
          'libraries': ['-lbpf', '-lelf', '-lz'],
        }],
        ['sanitize==1', {
          'cflags': ['-fsanitize=address,undefined', '-fno-omit-frame-pointer'],
          'ldflags': ['-fsanitize=address,undefined'],
        }],
      ],
    },
  ],
}
