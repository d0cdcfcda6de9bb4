console.log('blob-copy: not implemented yet');
