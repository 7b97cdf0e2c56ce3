// Drag-and-drop onto the upload card: put the dropped file into the form's file input and submit.
document.querySelectorAll("[data-verify-drop]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach(function (name) {
        form.addEventListener(name, function (event) { event.preventDefault(); form.classList.add("is-dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
        form.addEventListener(name, function (event) { event.preventDefault(); form.classList.remove("is-dragging"); });
    });
    form.addEventListener("drop", function (event) {
        if (event.dataTransfer && event.dataTransfer.files.length) {
            input.files = event.dataTransfer.files;
            form.submit();
        }
    });
});
